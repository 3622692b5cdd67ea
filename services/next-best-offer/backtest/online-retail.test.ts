import { describe, expect, it } from 'vitest';
import {
  invoicesFromCsv,
  invoicesIn,
  parseInvoiceDate,
  partCounts,
  TEST_MONTH,
  TRAINING_MONTHS,
} from './online-retail.js';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

describe('parseInvoiceDate', () => {
  it('reads the wall clock as UTC and rejects other shapes', () => {
    expect(parseInvoiceDate('2011-01-18 10:01:00')).toBe(Date.UTC(2011, 0, 18, 10, 1, 0));
    expect(parseInvoiceDate('2011-12-09 12:50')).toBe(Date.UTC(2011, 11, 9, 12, 50));
    expect(() => parseInvoiceDate('18/01/2011 10:01')).toThrow(RangeError);
  });
});

describe('invoicesFromCsv', () => {
  const text = csv(
    '536365,85123A,"WHITE HANGING HEART T-LIGHT HOLDER",6,2010-12-01 08:26:00,2.55,17850,United Kingdom',
    '536365,71053,"SET 2 TEA TOWELS, I LOVE LONDON ",6,2010-12-01 08:26:00,3.39,17850,United Kingdom',
    '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-01 08:26:00,2.55,17850,United Kingdom',
    '536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom', // no customer
    'C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom', // cancellation
    'A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,12345,United Kingdom', // adjustment
    '536414,22139,,56,2010-12-01 11:52:00,0,13047,United Kingdom', // free line
    '536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2011-11-02 08:34:00,1.69,13047,United Kingdom',
  );

  it('cleans the usual way and counts each dropped row once', () => {
    const { counts } = invoicesFromCsv(text);
    expect(counts).toEqual({
      rows: 8,
      kept: 4,
      withoutCustomer: 1,
      cancelledOrAdjusted: 2,
      quantityNotPositive: 0,
      priceNotPositive: 1,
    });
  });

  it('groups lines into invoices with distinct sorted StockCodes, descriptions left out', () => {
    const { invoices } = invoicesFromCsv(text);
    expect(invoices.map((i) => [i.invoiceNo, i.customerId, i.items])).toEqual([
      ['536365', '17850', ['71053', '85123A']],
      ['536367', '13047', ['84879']],
    ]);
    expect(invoices[0]!.lines).toHaveLength(3);
    expect(invoices[0]!.at).toBe(Date.UTC(2010, 11, 1, 8, 26));
  });

  it('drops a line with a non-positive quantity that slipped past the invoice rules', () => {
    const { counts } = invoicesFromCsv(
      csv('536370,22728,ALARM CLOCK,-3,2010-12-01 08:45:00,3.75,12583,France'),
    );
    expect(counts.quantityNotPositive).toBe(1);
  });

  it('rejects a row of the wrong width and a missing column', () => {
    expect(() => invoicesFromCsv(csv('536365,85123A,A,B,6,2010-12-01 08:26:00,2.55,17850,UK'))).toThrow(
      /row 2/,
    );
    expect(() => invoicesFromCsv('InvoiceNo,StockCode\n1,2\n')).toThrow(/no Quantity column/);
  });
});

describe('the month split', () => {
  it('trains on 2010-12-01 … 2011-10-31 and tests on November 2011, December 2011 left out', () => {
    const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
    const invoices = [
      at(2010, 12, 1),
      at(2011, 10, 31, 23),
      at(2011, 11, 1),
      at(2011, 11, 30, 23),
      at(2011, 12, 1),
      at(2011, 12, 9),
    ].map((time, i) => ({
      invoiceNo: String(i),
      customerId: `c${i % 2}`,
      at: time,
      items: [`s${i}`],
      lines: [],
    }));
    expect(invoicesIn(invoices, TRAINING_MONTHS).map((i) => i.invoiceNo)).toEqual(['0', '1']);
    expect(invoicesIn(invoices, TEST_MONTH).map((i) => i.invoiceNo)).toEqual(['2', '3']);
    expect(partCounts(invoicesIn(invoices, TEST_MONTH))).toEqual({
      invoices: 2,
      customers: 2,
      items: 2,
      lines: 0,
    });
  });
});
