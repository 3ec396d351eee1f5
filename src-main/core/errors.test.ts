import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KernelLabError, toErrorBody } from './errors.ts';

describe('toErrorBody', () => {
  it('keeps a KernelLabError as it is', () => {
    expect(toErrorBody(new KernelLabError('not_found', 'Run 7 does not exist'))).toMatchObject({
      code: 'not_found',
      message: 'Run 7 does not exist',
    });
  });

  it('words a stray ZodError field first, not as zod JSON, and never sends its stack', () => {
    const parsed = z.object({ epochs: z.number().int().min(1) }).safeParse({ epochs: 0 });
    expect(parsed.success).toBe(false);
    const body = toErrorBody(parsed.error);
    expect(body.code).toBe('internal');
    expect(body.message).toMatch(/^Invalid value: epochs: /);
    expect(body.message).not.toContain('[');
    expect(body.message).not.toContain('"code"');
    expect(Object.keys(body)).toEqual(['code', 'message']);
  });

  it('gives any other thrown value its message', () => {
    expect(toErrorBody(new Error('disk full'))).toEqual({ code: 'internal', message: 'disk full' });
    expect(toErrorBody('plain text')).toEqual({ code: 'internal', message: 'plain text' });
  });
});
