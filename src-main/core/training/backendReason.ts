/**
 * Why a tfjs backend does not load, coded for the user's language (issue 17). The reason is the
 * first line of what loading threw: KernelLab's own sentences (the engine not installed, a backend
 * that did not initialise) and the failures a node commonly meets (the native addon missing, a
 * CUDA library not found, an addon built for another Node.js) get their own codes with the names
 * they mention; anything else is tfjs' (or Node's) words, never translated: quoted after a lead-in.
 * Said wherever a backend's failure reaches a user: the probe (This machine, `kernellab info`), a
 * run pinned to a backend that does not load, and `kernellab agent --backend`.
 */
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';

const cut = (text: string) => text.slice(0, 1000);

/** Libraries of the CUDA toolkit and cuDNN, as the dynamic loader names them (libcudart.so.12, libcudnn.so.8). */
const cudaLibrary = /^(lib)?(cuda|cudart|cublas|cublasLt|cudnn|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink|nccl)/i;

/** The coded form of one reason a backend did not load. */
export function backendReasonText(reason: string): CoreText {
  if (/^not installed: run 'kernellab engine install tensorflow'/.test(reason)) return coreText('backend_engine_not_installed', {});
  const folder = /^the engine folder (.+) is missing or incomplete; install the engine again$/.exec(reason);
  if (folder) return coreText('backend_engine_folder_incomplete', { dir: cut(folder[1]!) });
  const notInitialised = /^the (\w+) backend did not initialise$/.exec(reason);
  if (notInitialised) return coreText('backend_not_initialised', { backend: notInitialised[1]! });
  if (reason === 'tfjs-node-gpu loaded but its backend did not initialise') return coreText('backend_addon_not_initialised', {});
  // tfjs-node's loader, when its tfjs_binding.node was never built or was deleted.
  const addon = /native addon module \(tfjs_binding\.node\) can not be found at path: (\S+?)\.?\s*$/.exec(reason);
  if (addon) return coreText('backend_addon_missing', { path: cut(addon[1]!) });
  // Node's require: "Cannot find module '/…/tfjs_binding.node'" or the package itself.
  const module = /^Cannot find module '([^']+)'/.exec(reason);
  if (module)
    return /\.node$/.test(module[1]!)
      ? coreText('backend_addon_missing', { path: cut(module[1]!) })
      : coreText('backend_package_missing', { module: cut(module[1]!) });
  // The dynamic loader: Linux "…: libcudart.so.12: cannot open shared object file", macOS "Library not loaded: @rpath/….dylib".
  const library =
    /([\w.+-]+\.so(?:\.[\w.]+)?): cannot open shared object file/.exec(reason) ??
    /Library not loaded: (?:\S*\/)?([\w.+-]+\.dylib)/.exec(reason);
  if (library) {
    const name = cut(library[1]!);
    return cudaLibrary.test(name)
      ? coreText('backend_cuda_library_missing', { library: name })
      : coreText('backend_library_missing', { library: name });
  }
  // Node's addon built for another Node.js; the probe keeps only the first line ("The module '…'"), the versions follow on the next.
  const abi =
    /^The module '([^']+)'\s*was compiled against a different Node\.js version using\s*NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s*NODE_MODULE_VERSION (\d+)/.exec(
      reason,
    );
  if (abi) return coreText('backend_node_abi', { module: cut(abi[1]!), built: abi[2]!, needs: abi[3]! });
  const abiModule = /^The module '([^']+\.node)'$/.exec(reason);
  if (abiModule) return coreText('backend_node_abi_module', { module: cut(abiModule[1]!) });
  return coreText('backend_tfjs_said', { said: cut(reason) });
}

/** The reason as a coded sentence inside a sentence (agent_backend_not_loading's `reason`, training_backend_unavailable's `detail`), its English as it was. */
export function backendReason(reason: string): ProblemText[] {
  return [{ sentence: reason.slice(0, 4000), path: '', text: backendReasonText(reason) }];
}
