/**
 * No English sentence written into a view's template (issue 17): every text a user reads comes
 * from the message catalogue. This reads every .svelte file under src-renderer/, drops its script,
 * style, comments and `{…}` expressions, and lists what is left as text between tags or as a
 * literal title, placeholder, aria-label, alt or label attribute. Anything with a Latin word must
 * be in `allowed`: names, key names, units, syntax and examples a user types as they are.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../src-renderer/', import.meta.url));

const allowed: Record<string, string[]> = {
  'App.svelte': ['KernelLab', 'Space', 'Enter'],
  'components/ClusterDialog.svelte': ['GRES', 'placeholder="gpu:1"', 'placeholder="registry/kernellab-agent:0.1"'],
  'components/EnginesPanel.svelte': ['TensorFlow', 'CUDA', ', cuDNN'],
  // Keras' own argument names, spelt as in Keras on purpose (the notebook user's words).
  'components/NotebookSettingsFields.svelte': [
    'beta_1',
    'beta_2',
    'rho',
    'momentum',
    'epsilon',
    'nesterov',
    'centered',
    'factor',
    'decay_steps',
    'decay_rate',
    'staircase',
    'alpha',
    'monitor',
    'patience',
    'min_delta',
    'cooldown',
    'min_lr',
    'mode',
    'baseline',
    'start_from_epoch',
  ],
  'views/AboutView.svelte': ['KernelLab', 'Node.js', 'TensorFlow.js'],
  // The hidden #/bench page (not in the navigation): a developer's chart timing.
  'views/ChartBenchView.svelte': [
    'Chart draw time',
    'runs × epochs, one chart, full draws (create, lay out, paint).',
    'Median draw:',
    'ms',
    'label="bench curves"',
  ],
  'views/DatasetsView.svelte': ['placeholder="/home/me/Downloads/mnist/train-images-idx3-ubyte.gz"'],
  'views/RunView.svelte': ['sha-256', 'KiB'],
  'views/RunsView.svelte': ['Space', 'Enter', 'placeholder="status:running tag:best kernelSize=3 val_accuracy>0.9"'],
};

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return svelteFiles(path);
    return name.endsWith('.svelte') ? [path] : [];
  });
}

/** The template with its script, style, comments and `{…}` expressions blanked (lines kept). */
function templateOnly(source: string): string {
  const blank = (part: string) => part.replace(/[^\n]/g, ' ');
  const text = source
    .replace(/<script[\s\S]*?<\/script>/g, blank)
    .replace(/<style[\s\S]*?<\/style>/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank);
  let out = '';
  let depth = 0;
  for (const c of text) {
    if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else {
      out += depth > 0 && c !== '\n' ? ' ' : c;
      continue;
    }
    out += ' ';
  }
  return out;
}

/** What a user could read that the template itself spells: text between tags and literal attributes. */
export function literalTexts(source: string): string[] {
  const template = templateOnly(source);
  const found: string[] = [];
  for (const match of template.matchAll(/>([^<>]*)</g)) {
    const text = match[1]!.replace(/\s+/g, ' ').trim();
    if (/[A-Za-z]{2,}/.test(text)) found.push(text);
  }
  for (const match of template.matchAll(/\b(title|placeholder|aria-label|alt|label)="([^"]*)"/g))
    if (/[A-Za-z]{2,}/.test(match[2]!)) found.push(`${match[1]}="${match[2]!.replace(/\s+/g, ' ').trim()}"`);
  return found;
}

describe('the views’ templates', () => {
  it('spell no English a user reads: every such text comes from the catalogue', () => {
    const left: string[] = [];
    for (const file of svelteFiles(root)) {
      const name = relative(root, file);
      const ok = new Set(allowed[name] ?? []);
      for (const text of literalTexts(readFileSync(file, 'utf8'))) if (!ok.has(text)) left.push(`${name}: ${text}`);
    }
    expect(left).toEqual([]);
  });

  it('finds text between tags and in a literal attribute, not in expressions, scripts or styles', () => {
    const source = `<script>const a = '<b>hidden</b>';</script><p title="Save it">{m.hello()} Run it</p><i aria-label={m.x()}>{'quoted'}</i><style>p { color: red }</style>`;
    expect(literalTexts(source)).toEqual(['Run it', 'title="Save it"']);
  });
});
