/**
 * Pub/sub channels shared by the components of one peer. They live with the store because the
 * store carries the messages (Redis pub/sub across replicas, in-process for SQLite).
 */

/** Published (message: the contract content hash) whenever a contract or one of its signatures is stored. */
export const CONTRACTS_CHANGED_CHANNEL = 'contracts-changed';
