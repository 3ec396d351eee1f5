/**
 * The data folder's health checks (core/appHandlers.ts app.health), shown on the About page: part
 * of coreTextParams (coreText.ts). Paths, and the system's own reason a folder cannot be written,
 * pass as they are.
 */
import { z } from 'zod';

// The same kind of parameter as coreText.ts's.
const word = z.string().max(1000);

export const healthTextParams = {
  health_writable: z.object({ folder: word }).strict(),
  health_not_writable: z.object({ folder: word, why: word }).strict(),
  health_runs_not_writable: z.object({ folder: word, why: word }).strict(),
  health_database_in_use: z.object({ file: word }).strict(),
} as const;
