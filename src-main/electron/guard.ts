/**
 * Every web contents the app creates gets the same guard (`app.on('web-contents-created')`), not
 * only the main window: no <webview> attaches, no navigation or redirect leaves the renderer, no
 * window opens (an allowed link goes to the user's browser instead). Kept to the few methods it
 * uses so it is tested without Electron.
 */
import type { RendererSource } from './trust.ts';
import { isRendererUrl, opensExternally } from './trust.ts';

interface Preventable {
  preventDefault(): void;
}

/** The part of Electron's WebContents the guard touches. */
export interface GuardedContents {
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate',
    listener: (event: Preventable & { url: string }, url?: string) => void,
  ): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export function guardWebContents(contents: GuardedContents, source: RendererSource, openExternal: (url: string) => void): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  const stayInside = (event: Preventable & { url: string }, url?: string) => {
    if (!isRendererUrl(url ?? event.url, source)) event.preventDefault();
  };
  contents.on('will-navigate', stayInside);
  contents.on('will-redirect', stayInside);
  contents.on('will-frame-navigate', stayInside);
  contents.setWindowOpenHandler(({ url }) => {
    if (opensExternally(url)) openExternal(url);
    return { action: 'deny' };
  });
}
