/**
 * The theme follows the system (prefers-color-scheme). Charts draw on canvas and cannot use CSS
 * variables, so they read the resolved colours from here and redraw when the system switches.
 */
export interface ChartColors {
  fg: string;
  muted: string;
  grid: string;
  bg: string;
}

function readColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return { fg: v('--fg', '#1b1f24'), muted: v('--muted', '#57606a'), grid: v('--border', '#d0d7de'), bg: v('--bg', '#ffffff') };
}

class Theme {
  dark = $state(false);
  colors = $state.raw<ChartColors>({ fg: '#1b1f24', muted: '#57606a', grid: '#d0d7de', bg: '#ffffff' });

  constructor() {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.dark = query.matches;
    this.colors = readColors();
    query.addEventListener('change', (e) => {
      this.dark = e.matches;
      this.colors = readColors();
    });
  }
}

export const theme = new Theme();

/** Ten series colours that stay distinguishable and readable on both backgrounds (Tableau 10). */
const lightPalette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#4d4d4d', '#9a9a00', '#17becf'];
const darkPalette = ['#5aa9e6', '#ff6b6b', '#5ed35e', '#ffa94d', '#b197fc', '#d19a66', '#f783ac', '#c9c9c9', '#d4d44a', '#3bc9db'];

export function seriesColor(index: number, dark: boolean): string {
  const palette = dark ? darkPalette : lightPalette;
  return palette[index % palette.length]!;
}
