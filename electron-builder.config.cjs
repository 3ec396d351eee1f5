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
  linux: { target: ['AppImage', 'deb'], category: 'Science' },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
};
