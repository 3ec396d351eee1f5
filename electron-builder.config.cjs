// Packaging for Windows, macOS and Linux (`npm run dist`). It downloads Electron for each target,
// so it runs only where that download is possible.
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.kernellab.desktop',
  productName: 'KernelLab',
  directories: { output: 'dist', buildResources: 'build' },
  files: ['out/**', 'migrations/**', 'package.json', '!**/*.map'],
  // Native and wasm files must be real files on disk, not inside app.asar.
  asarUnpack: ['**/*.node', '**/*.wasm', 'migrations/**'],
  // better-sqlite3 13 ships Node-API prebuilds, which are ABI-stable across Node and Electron.
  npmRebuild: false,
  // Electron fuses, flipped in the packaged binary (@electron/fuses): the app cannot be turned
  // into a plain Node (ELECTRON_RUN_AS_NODE), given code through NODE_OPTIONS or --require, or
  // opened to a debugger with --inspect; it loads only its own app.asar, whose integrity is
  // checked where Electron supports it (macOS, Windows). Cookies are encrypted at rest.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Science' },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
};
