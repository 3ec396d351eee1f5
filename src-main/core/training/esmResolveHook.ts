/**
 * Loaded with `node --import` into worker processes that run from TypeScript sources.
 *
 * tfjs-core's CommonJS entry does not register gradients; its ESM files do
 * (dist/register_all_gradients.js), but they import siblings without file extensions, which Node's
 * ESM resolver refuses. This hook retries such imports inside @tensorflow packages with `.js`.
 * The gradient registry is a global shared by every copy of tfjs-core, so registering through the
 * ESM files serves the CommonJS engine too. Bundled builds (Electron) need none of this.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const retry =
        (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') &&
        specifier.startsWith('.') &&
        !specifier.endsWith('.js') &&
        (context.parentURL ?? '').includes('/node_modules/@tensorflow/');
      if (!retry) throw error;
      // `./ops` may be ops.js or ops/index.js, as a bundler would resolve it.
      try {
        return nextResolve(`${specifier}.js`, context);
      } catch {
        return nextResolve(`${specifier}/index.js`, context);
      }
    }
  },
});
