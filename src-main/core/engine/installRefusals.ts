/**
 * Why an engine install stops, in English with its coded form (contract/coreText.ts, issue 17):
 * "This machine" and `kernellab engine install` show the code in the user's language. Commands,
 * paths, wheel names and a tool's own last lines pass as they are.
 */
import type { ErrorCode } from '../contract/bridge.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';
import { runTool, type ToolResult } from './tools.ts';

const refused = (code: ErrorCode, message: string, text: CoreText) => new KernelLabError(code, message, undefined, { text });
/** Parameters are short: a long list or a tool's output is cut to what a message holds. */
const short = (text: string) => text.slice(0, 1000);

export const canceled = () => refused('conflict', 'the install was canceled', coreText('engine_install_canceled', {}));

/** Runs a tool and turns a failure into a sentence with the tool's last lines. */
export async function mustRun(what: string, command: string, args: string[], options: Parameters<typeof runTool>[2]): Promise<ToolResult> {
  const result = await runTool(command, args, options);
  if (options?.signal?.aborted) throw canceled();
  if (result.code !== 0) {
    const how =
      result.code === null ? (result.signal ? `was killed (${result.signal})` : 'could not start') : `exited with code ${result.code}`;
    const tool = { what: short(what), command: short(command), tail: result.tail.slice(-1000) };
    const text =
      result.code !== null
        ? coreText('engine_tool_exited', { ...tool, exitCode: result.code })
        : result.signal
          ? coreText('engine_tool_killed', { ...tool, signal: result.signal })
          : coreText('engine_tool_not_started', tool);
    throw refused('unavailable', `${what} failed: ${command} ${how}:\n${result.tail}`, text);
  }
  return result;
}

export const cannotInstallHere = (variant: string, name: string, plan: string) =>
  refused(
    'unavailable',
    `Cannot install a ${variant} ${name} engine here: ${plan}`,
    coreText('engine_cannot_install_here', { variant, name, reason: short(plan) }),
  );

export const noNpm = () =>
  refused(
    'unavailable',
    'npm is not on PATH: it fetches @tensorflow/tfjs-node-gpu and builds its addon. Install Node.js with npm and try again.',
    coreText('engine_no_npm', {}),
  );

export const canceledUnchanged = () =>
  refused('conflict', 'the install was canceled; the installed engine is unchanged', coreText('engine_install_canceled_unchanged', {}));

/**
 * A failed install, said with "the engine was not changed". A coded cause is shown by its own code
 * (it says what failed); an uncoded one is placed, in English, inside the coded "not changed".
 */
export function notChanged(error: unknown, name: string, installedWorks: boolean): KernelLabError {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof KernelLabError ? error.code : 'unavailable';
  const still = installedWorks ? '; the installed one still works' : '';
  const text =
    (error instanceof KernelLabError && error.text) ||
    coreText(installedWorks ? 'engine_not_changed_still_works' : 'engine_not_changed', { error: short(message.split('\n')[0]!), name });
  return refused(code, `${message}\nThe ${name} engine was not changed${still}.`, text);
}

export const wheelMissing = (path: string) =>
  refused('invalid_input', `wheelFiles: ${path} does not exist`, coreText('engine_wheel_missing', { path: short(path) }));

export const noTensorflowWheel = (names: string) =>
  refused(
    'invalid_input',
    `none of ${names} is a TensorFlow wheel (tensorflow or tensorflow-cpu)`,
    coreText('engine_no_tensorflow_wheel', { names: short(names) }),
  );

export const wheelNoCApi = (wheel: string, libraries: string) =>
  refused(
    'invalid_input',
    `${wheel} cannot provide the C API: ${libraries}. It is incomplete, or not a TensorFlow build with libtensorflow_cc.`,
    coreText('engine_wheel_no_c_api', { wheel, reason: short(libraries) }),
  );

export const wheelNoHeader = (wheel: string) =>
  refused(
    'invalid_input',
    `${wheel} is incomplete: it has no tensorflow/include/tensorflow/c/c_api.h`,
    coreText('engine_wheel_no_header', { wheel }),
  );

export const wheelNotCuda = (wheel: string) =>
  refused(
    'invalid_input',
    `${wheel} names no and-cuda extra: it is not TensorFlow's CUDA build`,
    coreText('engine_wheel_not_cuda', { wheel }),
  );

export const cudaWheelsMissing = (missing: string[]) =>
  refused(
    'invalid_input',
    `the CUDA wheels are incomplete: ${missing.join(', ')} missing`,
    coreText('engine_cuda_wheels_missing', { missing: short(missing.join(', ')) }),
  );

export const noPython = (reason: string) =>
  refused('unavailable', `Cannot fetch the TensorFlow wheels: ${reason}.`, coreText('engine_no_python', { reason: short(reason) }));

export const pipSavedNothing = (what: string) =>
  refused('unavailable', `${what} saved no wheel`, coreText('engine_pip_saved_nothing', { what: short(what) }));

export const noCompiler = () =>
  refused(
    'unavailable',
    'No C++ compiler (c++, g++ or clang++) on PATH: the addon is built from source. Install one (apt-get install g++ make, or xcode-select --install) and try again.',
    coreText('engine_no_compiler', {}),
  );

export const buildNoAddon = (dir: string) =>
  refused(
    'unavailable',
    `the build finished but left no tfjs_binding.node under ${dir}`,
    coreText('engine_build_no_addon', { dir: short(dir) }),
  );
