// Next best offer as the runtime sees it: purchases (a stream), profiles and value tiers (tables),
// erasure requests, per-customer baskets and first purchases, and a population view of rules,
// up-sell steps and prices mined at every refresh boundary (SEMANTICS.md).

import {
  customerErasuresInput,
  customerProfilesInput,
  inputsOf,
  purchasesInput,
  segmentChangesInput,
  underConsumptionInput,
} from '../../shared/contracts/inputs.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { EXPIRE_BASKETS } from './counted-baskets.js';
import { decideRecord, decideTimer, forgetCustomer, type NextBestOfferInput, STEP_DUE } from './decide.js';
import { SEQUENCE_PREFIX } from './sequence-fields.js';
import {
  checkNextBestOfferSettings,
  defaultNextBestOfferSettings,
  type NextBestOfferSettings,
} from './settings.js';
import { decodeState, encodeState, type NextBestOfferState } from './state.js';
import { mergeNextBestOfferView, type NextBestOfferView } from './view.js';

export const NEXT_BEST_OFFER_WORKER = 'next-best-offer';

export function createNextBestOfferWorker(
  settings: NextBestOfferSettings = defaultNextBestOfferSettings,
): WorkerDefinition<NextBestOfferInput, NextBestOfferState, NextBestOfferView> {
  checkNextBestOfferSettings(settings);
  return {
    name: NEXT_BEST_OFFER_WORKER,
    inputs: inputsOf<NextBestOfferInput>(
      purchasesInput(settings.currency),
      customerProfilesInput(),
      segmentChangesInput(),
      // Share-of-wallet alerts: the units the customer buys elsewhere (wallet-gap categories).
      underConsumptionInput(),
      customerErasuresInput(),
    ),
    outputTopics: [topicCatalogue.nextBestOffers.name],
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, record, ctx) => decideRecord(state, record, ctx, settings),
    onTimer: (state, timer, ctx) => decideTimer(state, timer, ctx, settings),
    population: {
      periodMs: settings.refreshPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      // Baskets (nbo:b:), item economics (nbo:e:) and up-sell steps (nbo:a:, nbo:s:, nbo:g:).
      snapshotCounterPrefix: SEQUENCE_PREFIX,
      merge: (boundary, snapshots) => mergeNextBestOfferView(boundary, snapshots, settings),
      // A new model changes no decision already taken: suggestions are made on purchases and due steps.
      affectedScoreRanges: () => [],
      onPopulationChange: (state) => ({ state, outputs: [], timers: [] }),
    },
    erasure: {
      timerKinds: [EXPIRE_BASKETS, STEP_DUE],
      forget: (state) => forgetCustomer(state, settings),
    },
  };
}
