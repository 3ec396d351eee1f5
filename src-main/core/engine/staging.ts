/**
 * How TensorFlow's Python wheels become the `deps/` folder that @tensorflow/tfjs-node-gpu builds
 * its addon against: which wheel, which members go where, which links the build expects, and what
 * to do to the built addon afterwards. One plan per platform, written from each wheel's layout.
 *
 * Linux x64 is tested (tensorflow-cpu; the CUDA build's layout is the same plus the NVIDIA
 * wheels). macOS (libtensorflow_cc.2.dylib) and Windows (_pywrap_tensorflow_common.dll with its
 * import library) follow their wheels' layouts but have not been run.
 */
import type { EngineVariant } from '../contract/engines.ts';

/** The TensorFlow version whose wheels were tested with tfjs-node-gpu 4.22 here. */
export const testedTensorflowVersion = '2.21.0';

export interface Member {
  /** Path inside the wheel. */
  from: string;
  /** Path inside the package's deps/ folder. */
  to: string;
}

export interface StagingPlan {
  /** The pip package holding the C API for this platform and variant. */
  wheelPackage: string;
  /** The libraries; every one must be in the wheel. */
  libraries: (members: ReadonlySet<string>) => Member[] | string;
  /** Links (or, on Windows, nothing) the addon's build and the package's scripts look for. */
  links: { link: string; target: string }[];
  /** Header members: anything under these prefixes of the wheel. */
  headerPrefixes: string[];
  /** Commands to run on the built addon (argv[0] is the program; `{addon}` is its path). */
  afterBuild: string[][];
  /** Libraries copied beside the addon (Windows finds a DLL in the loading module's folder). */
  besideAddon: string[];
}

/** Headers the addon includes, and what they include in turn (wheel path under tensorflow/include/). */
const headerPrefixes = [
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/tensorflow/core/platform/ctstring',
  'tensorflow/include/tsl/platform/ctstring',
  'tensorflow/include/xla/tsl/c/',
];

const need = (members: ReadonlySet<string>, list: Member[]): Member[] | string => {
  const missing = list.filter((m) => !members.has(m.from)).map((m) => m.from);
  return missing.length === 0 ? list : `it has no ${missing.join(', ')}`;
};

export function stagingPlan(
  variant: EngineVariant,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): StagingPlan | string {
  if (arch !== 'x64' && !(platform === 'darwin' && arch === 'arm64') && !(platform === 'linux' && arch === 'arm64'))
    return `no TensorFlow wheel layout is known for ${platform}-${arch}`;
  switch (platform) {
    case 'linux':
      if (variant === 'gpu' && arch !== 'x64') return 'the CUDA build of TensorFlow is published for Linux x64 only';
      return {
        wheelPackage: variant === 'gpu' ? 'tensorflow' : arch === 'x64' ? 'tensorflow-cpu' : 'tensorflow',
        libraries: (members) =>
          need(members, [
            { from: 'tensorflow/libtensorflow_cc.so.2', to: 'lib/libtensorflow_cc.so.2' },
            { from: 'tensorflow/libtensorflow_framework.so.2', to: 'lib/libtensorflow_framework.so.2' },
          ]),
        // The addon links -ltensorflow -ltensorflow_framework and finds them at run time through
        // its rpath $ORIGIN/../../deps/lib; the package's own scripts look for the .so.2.9.1 name.
        links: [
          { link: 'lib/libtensorflow.so', target: 'libtensorflow_cc.so.2' },
          { link: 'lib/libtensorflow.so.2', target: 'libtensorflow_cc.so.2' },
          { link: 'lib/libtensorflow.so.2.9.1', target: 'libtensorflow_cc.so.2' },
          { link: 'lib/libtensorflow_framework.so', target: 'libtensorflow_framework.so.2' },
        ],
        headerPrefixes,
        afterBuild: [],
        besideAddon: [],
      };
    case 'darwin':
      if (variant === 'gpu') return 'TensorFlow has no CUDA build for macOS';
      return {
        wheelPackage: 'tensorflow',
        libraries: (members) =>
          need(members, [
            { from: 'tensorflow/libtensorflow_cc.2.dylib', to: 'lib/libtensorflow_cc.2.dylib' },
            { from: 'tensorflow/libtensorflow_framework.2.dylib', to: 'lib/libtensorflow_framework.2.dylib' },
          ]),
        // binding.gyp links deps/lib/libtensorflow.2.dylib; through the link the addon records the
        // library's own install name, @rpath/libtensorflow_cc.2.dylib, so it gets an rpath to deps/lib
        // and, having been changed, a fresh ad-hoc signature (arm64 refuses unsigned code).
        links: [
          { link: 'lib/libtensorflow.2.dylib', target: 'libtensorflow_cc.2.dylib' },
          { link: 'lib/libtensorflow.dylib', target: 'libtensorflow_cc.2.dylib' },
          { link: 'lib/libtensorflow_framework.dylib', target: 'libtensorflow_framework.2.dylib' },
        ],
        headerPrefixes,
        afterBuild: [
          ['install_name_tool', '-add_rpath', '@loader_path/../../deps/lib', '{addon}'],
          ['codesign', '--force', '--sign', '-', '{addon}'],
        ],
        besideAddon: [],
      };
    case 'win32':
      if (variant === 'gpu') return 'TensorFlow has no native Windows CUDA build since 2.10 (use WSL2 with the Linux engine)';
      return {
        wheelPackage: 'tensorflow',
        // The C API lives in _pywrap_tensorflow_common.dll; binding.gyp links `tensorflow`, so its
        // import library is staged as tensorflow.lib (it still names the DLL it belongs to).
        libraries: (members) => {
          const dll = [...members].find((m) => /^tensorflow\/(.+\/)?_pywrap_tensorflow_common\.dll$/.test(m));
          const lib = [...members].find((m) => /^tensorflow\/(.+\/)?_pywrap_tensorflow_common\.lib$/.test(m));
          if (!dll || !lib) return 'it has no _pywrap_tensorflow_common.dll with its import library';
          return [
            { from: dll, to: 'lib/_pywrap_tensorflow_common.dll' },
            { from: lib, to: 'lib/tensorflow.lib' },
          ];
        },
        links: [],
        headerPrefixes,
        afterBuild: [],
        besideAddon: ['lib/_pywrap_tensorflow_common.dll'],
      };
    default:
      return `no TensorFlow wheel layout is known for ${platform}`;
  }
}

/** Header members of a wheel for a plan, mapped into deps/include/. */
export function headerMembers(plan: StagingPlan, members: Iterable<string>): Member[] {
  const out: Member[] = [];
  for (const name of members) {
    if (!name.endsWith('.h')) continue;
    if (!plan.headerPrefixes.some((p) => name.startsWith(p))) continue;
    out.push({ from: name, to: `include/${name.slice('tensorflow/include/'.length)}` });
  }
  return out;
}

/** Shared libraries of an NVIDIA wheel (`nvidia/cudnn/lib/libcudnn.so.9`), staged under cuda/. */
export function cudaLibraryMembers(members: Iterable<string>): Member[] {
  const out: Member[] = [];
  for (const name of members) {
    if (/^nvidia\/[^/]+\/lib\/[^/]+\.so(\.\d+)*$/.test(name)) out.push({ from: name, to: `cuda/${name}` });
  }
  return out;
}

/** `nvidia-cudnn-cu12==9.3.0.75` → ['nvidia-cudnn-cu12', '9.3.0.75']. */
export function splitPin(requirement: string): [string, string | undefined] {
  const match = /^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?(?:==([^,;\s]+))?/.exec(requirement);
  return [match?.[1] ?? requirement, match?.[2]];
}
