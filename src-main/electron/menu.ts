/**
 * The application menu, in the language main speaks (language.ts). Without one Electron shows its
 * default menu, whose labels are English on Linux and Windows. This is that menu's content (less
 * its Help links to electronjs.org) with every label from the catalogue: the items keep Electron's
 * roles, so each does what the default one did, with its usual shortcut. A pure template so both
 * languages are tested without Electron; main builds it with Menu.buildFromTemplate and again when
 * the page's language changes.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { Locale } from '../../i18n/locale.ts';
import { m } from '../../i18n/paraglide/messages.js';

const separator: MenuItemConstructorOptions = { type: 'separator' };

export function menuTemplate(locale: Locale, platform: NodeJS.Platform): MenuItemConstructorOptions[] {
  const t = (message: (inputs: Record<string, never>, options: { locale: Locale }) => string) => message({}, { locale });
  const mac = platform === 'darwin';
  const item = (role: NonNullable<MenuItemConstructorOptions['role']>, label: string): MenuItemConstructorOptions => ({ role, label });

  // macOS puts the app's own menu first, under the app's name (Electron expects it there).
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          role: 'appMenu',
          label: 'KernelLab',
          submenu: [
            item('about', t(m.desktop_menu_about)),
            separator,
            item('services', t(m.desktop_menu_services)),
            separator,
            item('hide', t(m.desktop_menu_hide)),
            item('hideOthers', t(m.desktop_menu_hide_others)),
            item('unhide', t(m.desktop_menu_show_all)),
            separator,
            item('quit', t(m.desktop_menu_quit)),
          ],
        },
      ]
    : [];
  return [
    ...appMenu,
    // On macOS quitting lives in the app menu; elsewhere it is the File menu's.
    { label: t(m.desktop_menu_file), submenu: [mac ? item('close', t(m.desktop_menu_close)) : item('quit', t(m.desktop_menu_quit))] },
    {
      label: t(m.desktop_menu_edit),
      submenu: [
        item('undo', t(m.desktop_menu_undo)),
        item('redo', t(m.desktop_menu_redo)),
        separator,
        item('cut', t(m.desktop_menu_cut)),
        item('copy', t(m.desktop_menu_copy)),
        item('paste', t(m.desktop_menu_paste)),
        ...(mac ? [item('pasteAndMatchStyle', t(m.desktop_menu_paste_match_style))] : []),
        item('delete', t(m.desktop_menu_delete)),
        separator,
        item('selectAll', t(m.desktop_menu_select_all)),
      ],
    },
    {
      label: t(m.desktop_menu_view),
      submenu: [
        item('reload', t(m.desktop_menu_reload)),
        item('forceReload', t(m.desktop_menu_force_reload)),
        item('toggleDevTools', t(m.desktop_menu_dev_tools)),
        separator,
        item('resetZoom', t(m.desktop_menu_reset_zoom)),
        item('zoomIn', t(m.desktop_menu_zoom_in)),
        item('zoomOut', t(m.desktop_menu_zoom_out)),
        separator,
        item('togglefullscreen', t(m.desktop_menu_full_screen)),
      ],
    },
    {
      label: t(m.desktop_menu_window),
      // macOS lists the open windows in the menu whose role is 'windowMenu'.
      ...(mac && { role: 'windowMenu' as const }),
      submenu: [
        item('minimize', t(m.desktop_menu_minimize)),
        item('zoom', t(m.desktop_menu_zoom)),
        ...(mac ? [separator, item('front', t(m.desktop_menu_bring_all_to_front))] : [item('close', t(m.desktop_menu_close))]),
      ],
    },
  ];
}
