// The face of peer/: assembling one peer (stores, transaction log, manager or directory, admin API and
// console, inway, outway) from its configuration. Used by the `koppel` role commands and the demo.
export { startPeer } from './start-peer.ts';
export type { PeerComponents, PeerUrls, RunningPeer, StartPeerOptions } from './start-peer.ts';
export { backendOptionsFrom } from './backends.ts';
export type { BackendLocation, BackendOptions, BackendOptionsContext } from './backends.ts';
export { hopWorkers, isHopWorker, startClusteredPeer, startHopWorker } from './workers.ts';
export type { ClusteredPeer } from './workers.ts';
