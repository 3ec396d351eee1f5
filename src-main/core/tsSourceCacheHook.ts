/** Imported first (or by `--import`) where KernelLab runs from TypeScript sources: see tsSourceCache.ts. */
import { registerSourceCache } from './tsSourceCache.ts';

registerSourceCache();
