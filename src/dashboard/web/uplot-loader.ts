/** uPlot, loaded on first use (its own chunk), so the fleet table does not wait for a charting library it does not use. */
import type uPlot from 'uplot';

export type UPlotCtor = typeof uPlot;
let uPlotModule: Promise<UPlotCtor> | undefined;
export const loadUPlot = (): Promise<UPlotCtor> => (uPlotModule ??= import('uplot').then((m) => m.default));
