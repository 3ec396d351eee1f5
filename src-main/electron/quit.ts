/**
 * The desktop app's quit, apart from Electron: the first quit is held (preventDefault) until the
 * service has closed — running runs interrupted so they resume, the database closed — and then
 * the app exits. Further quits while it closes are held too; the close itself is bounded
 * (ServiceClient's close timeout). Electron's `will-quit` cannot wait for a promise, so this runs
 * on `before-quit` (Actual Budget's desktop shell stops its server the same way).
 */
export function holdQuitUntilClosed(close: () => Promise<void>, exit: (code: number) => void): (event: { preventDefault(): void }) => void {
  let closing = false;
  return (event) => {
    event.preventDefault();
    if (closing) return;
    closing = true;
    close().then(
      () => exit(0),
      (error: unknown) => {
        console.error('KernelLab: closing the service failed:', error instanceof Error ? error.message : error);
        exit(1);
      },
    );
  };
}
