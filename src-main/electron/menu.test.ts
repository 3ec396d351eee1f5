/**
 * The application menu (menu.ts) in both languages: Electron's default menu is English on Linux
 * and Windows, this one is the catalogue's. Every item does something (a role or a click), the
 * roles are the default menu's, and a Korean menu has no English label.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { locales } from '../../i18n/locale.ts';
import { menuTemplate } from './menu.ts';

/** Every item of a template, submenus walked, with the labels above it. */
function items(template: MenuItemConstructorOptions[], above: string[] = []): { item: MenuItemConstructorOptions; path: string[] }[] {
  return template.flatMap((item) => {
    const path = [...above, item.label ?? item.role ?? item.type ?? '?'];
    const sub = Array.isArray(item.submenu) ? items(item.submenu, path) : [];
    return [{ item, path }, ...sub];
  });
}

const leaves = (template: MenuItemConstructorOptions[]) =>
  items(template).filter(({ item }) => item.type !== 'separator' && !Array.isArray(item.submenu));
const roles = (template: MenuItemConstructorOptions[]) => leaves(template).map(({ item }) => item.role);
const platforms = ['linux', 'win32', 'darwin'] as const;

describe('the application menu', () => {
  it.each(platforms)('on %s: every item has a label and a role or a click, in both languages', (platform) => {
    for (const locale of locales) {
      const template = menuTemplate(locale, platform);
      for (const { item, path } of items(template)) {
        if (item.type === 'separator') continue;
        expect(item.label, path.join(' > ')).toBeTruthy();
        if (!Array.isArray(item.submenu)) expect(item.role ?? item.click, path.join(' > ')).toBeDefined();
      }
    }
  });

  it('has no English label in Korean, the app name aside, and each Korean label differs from the English one', () => {
    for (const platform of platforms) {
      const en = leaves(menuTemplate('en', platform));
      const ko = leaves(menuTemplate('ko', platform));
      expect(ko.map(({ item }) => item.role)).toEqual(en.map(({ item }) => item.role));
      for (const { item, path } of items(menuTemplate('ko', platform))) {
        if (item.type === 'separator') continue;
        expect(item.label!.replace('KernelLab', ''), path.join(' > ')).not.toMatch(/[A-Za-z]/);
      }
      ko.forEach(({ item }, i) => {
        if (item.role !== 'appMenu') expect(item.label, item.role).not.toBe(en[i]!.item.label);
      });
    }
  });

  it("keeps the default menu's roles: edit, view and window on every platform, quit in File but on macOS", () => {
    const edit = ['undo', 'redo', 'cut', 'copy', 'paste', 'delete', 'selectAll'];
    const view = ['reload', 'forceReload', 'toggleDevTools', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen'];
    expect(roles(menuTemplate('en', 'linux'))).toEqual(['quit', ...edit, ...view, 'minimize', 'zoom', 'close']);
    expect(roles(menuTemplate('ko', 'win32'))).toEqual(['quit', ...edit, ...view, 'minimize', 'zoom', 'close']);
    expect(menuTemplate('en', 'linux').map((i) => i.label)).toEqual(['File', 'Edit', 'View', 'Window']);
    expect(menuTemplate('ko', 'linux').map((i) => i.label)).toEqual(['파일', '편집', '보기', '창']);
  });

  it('on macOS puts the app menu first, with quit in it, and marks the window menu', () => {
    const template = menuTemplate('ko', 'darwin');
    expect(template[0]).toMatchObject({ role: 'appMenu', label: 'KernelLab' });
    expect(roles([template[0]!])).toEqual(['about', 'services', 'hide', 'hideOthers', 'unhide', 'quit']);
    expect(roles([template[1]!])).toEqual(['close']);
    expect(roles([template[2]!])).toContain('pasteAndMatchStyle');
    expect(template[4]).toMatchObject({ role: 'windowMenu', label: '창' });
    expect(roles([template[4]!])).toEqual(['minimize', 'zoom', 'front']);
    expect(leaves([template[0]!]).map(({ item }) => item.label)).toEqual([
      'KernelLab 정보',
      '서비스',
      'KernelLab 가리기',
      '다른 앱 가리기',
      '모두 보기',
      'KernelLab 종료',
    ]);
  });
});
