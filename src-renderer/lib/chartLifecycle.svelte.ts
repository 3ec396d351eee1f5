/**
 * The one lifecycle of a chart.js chart inside a component. The chart is created once per canvas
 * and theme (its colours are baked into its options, and canvas cannot read CSS variables), updated
 * in place when the data it shows changes, and destroyed when the theme changes or the component
 * goes away. Call it during component initialisation: it registers the component's effects.
 */
import type { Chart } from 'chart.js';
import { theme, type ChartColors } from './theme.svelte.ts';

export interface ChartLifecycle<C extends Chart> {
  /** The canvas the chart draws into (bound from ChartFrame); nothing is drawn until it exists. */
  canvas: () => HTMLCanvasElement | undefined;
  /** Builds the chart from the current data (read it untracked: data changes go to `update`). */
  create: (canvas: HTMLCanvasElement, colors: ChartColors) => C;
  /** Puts the current data into the chart (reading it here is what makes a change redraw). */
  update: (chart: C) => void;
}

export function chartLifecycle<C extends Chart>({ canvas, create, update }: ChartLifecycle<C>): void {
  let chart = $state.raw<C | undefined>();

  $effect(() => {
    const target = canvas();
    if (!target) return;
    const instance = create(target, theme.colors);
    chart = instance;
    return () => {
      instance.destroy();
      if (chart === instance) chart = undefined;
    };
  });

  $effect(() => {
    if (chart) update(chart);
  });
}
