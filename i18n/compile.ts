/**
 * Compiles the message catalogue (i18n/messages/{en,ko}.json) into typed message functions in
 * i18n/paraglide/ with Paraglide JS. The output is generated, not committed: `npm ci` (prepare),
 * build, lint, typecheck and vitest run this first. It skips when the output is newer than the
 * catalogue, so a quick test loop pays for it once.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '@inlang/paraglide-js';

const root = import.meta.dirname;
export const outdir = join(root, 'paraglide');
const sources = [
  join(root, 'messages/en.json'),
  join(root, 'messages/ko.json'),
  join(root, 'project.inlang/settings.json'),
  import.meta.filename,
];

function upToDate(): boolean {
  const marker = join(outdir, 'messages.d.ts');
  if (!existsSync(marker)) return false;
  const built = statSync(marker).mtimeMs;
  return sources.every((file) => statSync(file).mtimeMs < built);
}

export async function compileMessages(options: { force?: boolean } = {}): Promise<boolean> {
  if (!options.force && upToDate()) return false;
  await compile({
    project: join(root, 'project.inlang'),
    outdir,
    // The locale is chosen by our own code (i18n/locale.ts) in each shell and set once at start:
    // a switch in the app reloads the page, so no strategy reads cookies, URLs or storage.
    strategy: ['globalVariable', 'baseLocale'],
    // .d.ts beside the .js: both tsconfigs type-check message calls without allowJs.
    emitTsDeclarations: true,
    // The renderer has no node:async_hooks, and no shell renders two users' requests at once.
    disableAsyncLocalStorage: true,
    emitReadme: false,
    // One module per locale, not one per message: Node loads 3 files instead of ~1,700 at every
    // start of the CLI, `serve`, a training worker or an agent (0.5 s → 0.1 s here). The renderer's
    // bundler drops unused messages from these modules just the same.
    outputStructure: 'locale-modules',
  });
  return true;
}

if (import.meta.main) {
  const force = process.argv.includes('--force');
  if (await compileMessages({ force })) process.stdout.write('i18n: compiled i18n/messages into i18n/paraglide\n');
}
