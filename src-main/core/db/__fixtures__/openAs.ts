// Child process for the read-only folder test (run as an unprivileged user when the tests run as root).
import { RunStore } from '../RunStore.ts';

try {
  RunStore.open(process.argv[2]!).close();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const e = error as { problem?: string; code?: string; message: string };
  process.stdout.write(JSON.stringify({ ok: false, problem: e.problem, code: e.code, message: e.message }));
}
