import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueProblems, parametersOf, type Catalogue } from './catalogue.ts';
import { locales } from './locale.ts';

const read = (locale: string): Catalogue =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'messages', `${locale}.json`), 'utf8')) as Catalogue;

describe('the message catalogue', () => {
  it('has every key in every language, none empty, with the same parameters, sorted', () => {
    expect(locales).toEqual(['en', 'ko']);
    expect(catalogueProblems(Object.fromEntries(locales.map((l) => [l, read(l)])))).toEqual([]);
  });

  it('catches a missing, an empty and a mismatched message', () => {
    const problems = catalogueProblems({
      en: { runs_title: 'Runs', runs_count: '{count} runs', runs_empty: 'No runs' },
      ko: { runs_empty: ' ', runs_count: '실행 {n}개', runs_title: '실행' },
    });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'en.json: keys are not sorted (first out of place: runs_title)',
        'ko.json: keys are not sorted (first out of place: runs_empty)',
        'ko.json: runs_empty is empty',
        "ko.json: runs_count takes {n} but en.json's takes {count}",
      ]),
    );
    expect(catalogueProblems({ en: { runs_title: 'Runs', runs_x: 'x' }, ko: { runs_title: '실행' } })).toEqual(['ko.json: missing runs_x']);
    expect(catalogueProblems({ en: { Runs: 'Runs' }, ko: { Runs: '실행' } })[0]).toMatch(/snake_case/);
  });

  it('reads the parameters of plural variants', () => {
    const plural = [
      {
        declarations: ['input count', 'local countPlural = count: plural'],
        selectors: ['countPlural'],
        match: { 'countPlural=one': '{count} run', 'countPlural=other': '{count} runs of {total}' },
      },
    ];
    expect(parametersOf(plural)).toEqual(['count', 'total']);
  });
});
