// Input definitions of the catalogue's customer-keyed topics, for workers to declare what they
// read: the contract's validation, the key and the event time. Purchases are a stream (they
// move stream time); profiles, interactions and segment changes are applied on arrival (tables).

import type { InputDefinition } from '../runtime/worker-definition.js';
import { topicCatalogue } from '../topics.js';
import type {
  CustomerErasureRequested,
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
  UnderConsumptionDetected,
} from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { validateInteraction } from './validate-interaction.js';
import { validateCustomerProfile } from './validate-profile.js';
import { validatePurchase } from './validate-purchase.js';

const byCustomer = {
  customerIdOf: (event: { customerId: string }) => event.customerId,
  eventTimeOf: (event: { occurredAt: number }) => event.occurredAt,
};

/** Producers may send these twice (a retry after a timeout): deduplicated by eventId. */
const eventIdOf = (event: { eventId: string }) => event.eventId;

/** Purchases in one currency (others are dead-lettered CURRENCY_MISMATCH). */
export function purchasesInput(currency: string): InputDefinition<Purchase> {
  return {
    topic: topicCatalogue.purchases.name,
    schema: topicCatalogue.purchases.schema,
    validate: (purchase) => validatePurchase(purchase, { valueCurrency: currency }),
    ...byCustomer,
    eventIdOf,
  };
}

export function customerProfilesInput(): InputDefinition<CustomerProfile> {
  return {
    topic: topicCatalogue.customerProfiles.name,
    schema: topicCatalogue.customerProfiles.schema,
    kind: 'table',
    validate: (profile) => validateCustomerProfile(profile),
    ...byCustomer,
  };
}

/**
 * Erasure requests, applied on arrival by the runtime (shared/runtime/erasure.ts) in every worker
 * that reads them; a request without an id is dead-lettered.
 */
export function customerErasuresInput(): InputDefinition<CustomerErasureRequested> {
  return {
    topic: topicCatalogue.customerErasures.name,
    schema: topicCatalogue.customerErasures.schema,
    kind: 'table',
    erasure: true,
    // A blank customerId is the intake's MISSING_CUSTOMER_ID.
    validate: (request) =>
      request.eventId.trim() === ''
        ? { reasonCode: ReasonCode.INVALID_FIELD, message: 'an erasure request needs an eventId' }
        : null,
    ...byCustomer,
  };
}

/** Interactions act on arrival: a second stream would make either topic's records late. */
export function interactionsInput(): InputDefinition<Interaction> {
  return {
    topic: topicCatalogue.interactions.name,
    schema: topicCatalogue.interactions.schema,
    kind: 'table',
    validate: (interaction) => validateInteraction(interaction),
    ...byCustomer,
    eventIdOf,
  };
}

export function segmentChangesInput(): InputDefinition<SegmentChanged> {
  return {
    topic: topicCatalogue.segmentChanges.name,
    schema: topicCatalogue.segmentChanges.schema,
    kind: 'table',
    // Produced by our own workers against the same contract; nothing more to check.
    validate: () => null,
    ...byCustomer,
  };
}

/**
 * Share-of-wallet alerts as an input of another worker (next best offer: the customer buys this
 * unit elsewhere). A table: applied on arrival.
 */
export function underConsumptionInput(): InputDefinition<UnderConsumptionDetected> {
  return {
    topic: topicCatalogue.underConsumption.name,
    schema: topicCatalogue.underConsumption.schema,
    kind: 'table',
    // Produced by our own share-of-wallet worker against the same contract.
    validate: () => null,
    ...byCustomer,
  };
}

/** Several typed inputs as the one event union a worker declares. */
export function inputsOf<E>(
  ...inputs: ReadonlyArray<InputDefinition<never>>
): ReadonlyArray<InputDefinition<E>> {
  return inputs as unknown as ReadonlyArray<InputDefinition<E>>;
}
