// The demo PKI lives with the demo federation (config/demo/pki.ts); re-exported here for the CLI.
export { DEMO_GROUP_ID, DEMO_HOSTS, DEMO_PEERS, ensureDemoPki, demoPeer } from '../demo/pki.ts';
export type { DemoOrgLabel, DemoPki, DemoPkiPeer } from '../demo/pki.ts';
