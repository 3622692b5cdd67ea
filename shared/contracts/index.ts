// Public API of the event contracts: generated types, semantic validators, reason codes and
// the ISO 4217 list.
export * from './currencies.js';
export * from './generated.js';
export * from './reason-codes.js';
export * from './validate-common.js';
export * from './validate-interaction.js';
export * from './validate-profile.js';
export * from './validate-purchase.js';
