// UCI Online Retail as the backtest sees it: invoices of known customers as baskets of StockCodes
// (SKU level; descriptions vary in spelling and blanks for the same code, so they are left out),
// split by calendar month into training (months 1–11) and test (month 12). December 2011 has only
// nine days and ends the data, so it is left out rather than scored as a short month.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { canonicalBasket } from '../basket-key.js';
import type { Item } from '../model.js';
import { parseCsv } from './csv.js';

export interface InvoiceLine {
  readonly item: Item;
  readonly quantity: number;
  /** GBP per unit, as printed. */
  readonly unitPrice: number;
}

export interface Invoice {
  readonly invoiceNo: string;
  readonly customerId: string;
  /** The invoice's wall-clock time read as UTC (the file has no zone; only days matter here). */
  readonly at: number;
  /** Distinct StockCodes, sorted. */
  readonly items: readonly Item[];
  readonly lines: readonly InvoiceLine[];
}

/** [from, to) in epoch ms. */
export interface Period {
  readonly from: number;
  readonly to: number;
}

export const TRAINING_MONTHS: Period = { from: Date.UTC(2010, 11, 1), to: Date.UTC(2011, 10, 1) };
export const TEST_MONTH: Period = { from: Date.UTC(2011, 10, 1), to: Date.UTC(2011, 11, 1) };

const COLUMNS = ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID'] as const;

export interface CleaningCounts {
  readonly rows: number;
  readonly kept: number;
  readonly withoutCustomer: number;
  /** `C` cancellations and `A` bad-debt adjustments. */
  readonly cancelledOrAdjusted: number;
  readonly quantityNotPositive: number;
  readonly priceNotPositive: number;
}

/** `2011-01-18 10:01:00` → epoch ms, the wall clock read as UTC. */
export function parseInvoiceDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (m === null) throw new RangeError(`bad InvoiceDate ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part ?? '0'));
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
}

/**
 * The usual cleaning, each row counted under the first rule that drops it: a CustomerID, an
 * invoice that is neither a cancellation (`C`) nor an adjustment (`A`), Quantity > 0 and
 * UnitPrice > 0. Kept lines are grouped by InvoiceNo into invoices (ordered by time, then number).
 */
export function invoicesFromCsv(text: string): { invoices: Invoice[]; counts: CleaningCounts } {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined) throw new RangeError('Online Retail CSV: empty');
  const at = Object.fromEntries(
    COLUMNS.map((name) => {
      const index = header.indexOf(name);
      if (index < 0) throw new RangeError(`Online Retail CSV: no ${name} column`);
      return [name, index];
    }),
  ) as Record<(typeof COLUMNS)[number], number>;
  const counts = {
    rows: rows.length,
    kept: 0,
    withoutCustomer: 0,
    cancelledOrAdjusted: 0,
    quantityNotPositive: 0,
    priceNotPositive: 0,
  };
  const byNumber = new Map<string, { customerId: string; at: number; lines: InvoiceLine[] }>();
  rows.forEach((cells, index) => {
    if (cells.length !== header.length) {
      throw new RangeError(
        `Online Retail CSV row ${index + 2}: ${cells.length} fields, header has ${header.length}`,
      );
    }
    const invoiceNo = cells[at.InvoiceNo]!;
    const customerId = cells[at.CustomerID]!.trim();
    const quantity = Number(cells[at.Quantity]);
    const unitPrice = Number(cells[at.UnitPrice]);
    if (customerId === '') counts.withoutCustomer += 1;
    else if (/^[CA]/i.test(invoiceNo)) counts.cancelledOrAdjusted += 1;
    else if (!(quantity > 0)) counts.quantityNotPositive += 1;
    else if (!(unitPrice > 0)) counts.priceNotPositive += 1;
    else {
      counts.kept += 1;
      const time = parseInvoiceDate(cells[at.InvoiceDate]!);
      const invoice = byNumber.get(invoiceNo) ?? { customerId, at: time, lines: [] };
      if (invoice.customerId !== customerId) {
        throw new RangeError(`invoice ${invoiceNo} has customers ${invoice.customerId} and ${customerId}`);
      }
      invoice.at = Math.min(invoice.at, time);
      invoice.lines.push({ item: cells[at.StockCode]!, quantity, unitPrice });
      byNumber.set(invoiceNo, invoice);
    }
  });
  const invoices = [...byNumber].map(([invoiceNo, { customerId, at: time, lines }]) => ({
    invoiceNo,
    customerId,
    at: time,
    items: canonicalBasket(lines.map((line) => line.item)),
    lines,
  }));
  invoices.sort(
    (a, b) => a.at - b.at || (a.invoiceNo < b.invoiceNo ? -1 : a.invoiceNo > b.invoiceNo ? 1 : 0),
  );
  return { invoices, counts };
}

/** `<DATASETS_DIR>/online_retail/online_retail.csv.gz`, read and cleaned. */
export function readOnlineRetail(datasets: string): ReturnType<typeof invoicesFromCsv> {
  const path = join(datasets, 'online_retail', 'online_retail.csv.gz');
  return invoicesFromCsv(gunzipSync(readFileSync(path)).toString('utf8'));
}

export function invoicesIn(invoices: readonly Invoice[], period: Period): Invoice[] {
  return invoices.filter((invoice) => invoice.at >= period.from && invoice.at < period.to);
}

export interface PartCounts {
  readonly invoices: number;
  readonly customers: number;
  readonly items: number;
  readonly lines: number;
}

export function partCounts(invoices: readonly Invoice[]): PartCounts {
  return {
    invoices: invoices.length,
    customers: new Set(invoices.map((invoice) => invoice.customerId)).size,
    items: new Set(invoices.flatMap((invoice) => invoice.items)).size,
    lines: invoices.reduce((n, invoice) => n + invoice.lines.length, 0),
  };
}
