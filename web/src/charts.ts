// Clearing prices per block, and the depth of the aggregated book (cumulative base amount
// per price), both on numeric horizontal scales.
import { AreaSeries, LineSeries, createOptionsChart, type IChartApiBase } from "lightweight-charts";

const STYLE = {
  autoSize: true,
  layout: { background: { color: "transparent" }, textColor: "#9aa4b2", attributionLogo: false },
  grid: { vertLines: { color: "#222a35" }, horzLines: { color: "#222a35" } },
};

type Point = { x: number; y: number };

function series(points: Point[]) {
  const byX = new Map<number, number>();
  for (const p of points) byX.set(p.x, p.y);
  return [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

export class PriceChart {
  private readonly chart: IChartApiBase<number>;
  private readonly line;

  constructor(element: HTMLElement) {
    this.chart = createOptionsChart(element, STYLE);
    this.line = this.chart.addSeries(LineSeries, { color: "#4c9aff", lineWidth: 2 });
  }

  /** (block number, clearing price) of settled batches. */
  show(points: Point[]): void {
    this.line.setData(series(points));
    this.chart.timeScale().fitContent();
  }
}

export class DepthChart {
  private readonly chart: IChartApiBase<number>;
  private readonly bids;
  private readonly asks;

  constructor(element: HTMLElement) {
    this.chart = createOptionsChart(element, STYLE);
    this.bids = this.chart.addSeries(AreaSeries, {
      lineColor: "#2ebd85", topColor: "rgba(46,189,133,0.4)", bottomColor: "rgba(46,189,133,0.05)",
    });
    this.asks = this.chart.addSeries(AreaSeries, {
      lineColor: "#f6465d", topColor: "rgba(246,70,93,0.4)", bottomColor: "rgba(246,70,93,0.05)",
    });
  }

  /** Levels best first, as (price, base amount); drawn cumulative outwards from the spread. */
  show(bids: Point[], asks: Point[]): void {
    const cumulative = (levels: Point[]) => {
      let total = 0;
      return levels.map((l) => ({ x: l.x, y: (total += l.y) }));
    };
    this.bids.setData(series(cumulative(bids)));
    this.asks.setData(series(cumulative(asks)));
    this.chart.timeScale().fitContent();
  }
}
