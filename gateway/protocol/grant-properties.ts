/**
 * Keys Koppel puts in a grant's `properties` (fsc-core "Properties": use-case specific information
 * in a Grant). Other FSC implementations ignore keys they do not know.
 */

/**
 * Where a published service's inway is (`https://host:port`), in a publication grant. FSC's service
 * listing names peer, service and protocol only, but a directory that watches inway health needs the
 * address before any token (with its `aud`) exists; in the grant it is signed by the provider.
 */
export const INWAY_ADDRESS_PROPERTY = 'koppel.inway_address';
