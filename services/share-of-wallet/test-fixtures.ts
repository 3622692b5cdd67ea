// Small builders for share-of-wallet tests: purchases of food or usage, profiles, and a run of
// the real worker on the in-memory runtime (test/oracle/in-memory-driver.ts).

import type { AgeBand, CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import type { OutputEvent } from '../../shared/runtime/worker-definition.js';
import { type DriverRecord, InMemoryRuntime } from '../../test/oracle/in-memory-driver.js';
import type { ShareOfWalletInput } from './decide.js';
import { DAY_MS, type ShareOfWalletSettings } from './settings.js';
import type { ShareOfWalletState } from './state.js';
import { createShareOfWalletWorker } from './worker.js';

export const T0 = Date.UTC(2024, 0, 1);
export const day = (n: number, hour = 10) => T0 + n * DAY_MS + hour * 3_600_000;

let sequence = 0;

export function foodPurchase(customerId: string, at: number, kcal: number, priceMinor = 500): Purchase {
  sequence += 1;
  return {
    eventId: `p-${sequence}`,
    customerId,
    occurredAt: at,
    kind: 'SALE',
    currency: 'EUR',
    lines: [
      {
        sku: 'FOOD',
        category: 'groceries',
        quantity: 1,
        unitPriceMinor: priceMinor,
        marginMinor: null,
        kcalPerUnit: kcal,
        usage: null,
      },
    ],
    channel: 'store',
    storeId: null,
    returnOfEventId: null,
  };
}

export function usagePurchase(
  customerId: string,
  at: number,
  unit: string,
  amount: number,
  priceMinor = 1000,
): Purchase {
  const purchase = foodPurchase(customerId, at, 0, priceMinor);
  return {
    ...purchase,
    lines: [{ ...purchase.lines[0]!, kcalPerUnit: null, usage: { unit, amountPerUnit: amount } }],
  };
}

export function household(customerId: string, at: number, bands: AgeBand[]): CustomerProfile {
  sequence += 1;
  return {
    eventId: `prof-${sequence}`,
    customerId,
    occurredAt: at,
    customerType: 'CONSUMER',
    displayName: null,
    householdMembers: bands.map((ageBand) => ({ ageBand })),
    business: null,
    marketingConsent: true,
    signedUpAt: at,
    country: 'DE',
  };
}

export function business(
  customerId: string,
  at: number,
  headcount: number,
  industry = 'retail',
): CustomerProfile {
  return {
    ...household(customerId, at, []),
    customerType: 'BUSINESS',
    business: { headcount, industry },
  };
}

export interface Feed {
  readonly profiles?: readonly CustomerProfile[];
  readonly purchases: readonly Purchase[];
}

/** Runs the real worker over one partition: profiles first (as tables), then purchases by time. */
export function runShareOfWallet(settings: ShareOfWalletSettings, feed: Feed, partitions = 1) {
  const worker = createShareOfWalletWorker(settings);
  const runtime = new InMemoryRuntime(worker, partitions);
  const partitionOf = (customerId: string) => {
    let hash = 0;
    for (const ch of customerId) hash = (hash * 31 + ch.charCodeAt(0)) % partitions;
    return hash;
  };
  const logs: DriverRecord<ShareOfWalletInput>[][] = Array.from({ length: partitions }, () => []);
  let offset = 0;
  for (const profile of feed.profiles ?? [])
    logs[partitionOf(profile.customerId)]!.push({
      offset: String(offset++),
      value: profile,
      topic: 'customer-profiles',
    });
  for (const purchase of [...feed.purchases].sort((a, b) => a.occurredAt - b.occurredAt))
    logs[partitionOf(purchase.customerId)]!.push({
      offset: String(offset++),
      value: purchase,
      topic: 'purchases',
    });
  logs.forEach((log, p) => runtime.append(p, log));
  runtime.runUntilIdle();
  const result = runtime.result();
  const stateOf = (customerId: string): ShareOfWalletState | null => {
    const encoded = result.partitions[partitionOf(customerId)]!.states.get(customerId);
    return encoded === undefined ? null : worker.decodeState(encoded);
  };
  return {
    ...result,
    alerts: result.outputs.map((o: OutputEvent) => o.value as Record<string, unknown>),
    stateOf,
  };
}

/** A purchase of `kcalPerDay` × 7 days' food every week from day `from` to day `to`. */
export function weeklyFood(
  customerId: string,
  kcalPerDay: number,
  from: number,
  to: number,
  priceMinor = 700,
) {
  const purchases: Purchase[] = [];
  for (let d = from; d < to; d += 7)
    purchases.push(foodPurchase(customerId, day(d), kcalPerDay * 7, priceMinor));
  return purchases;
}
