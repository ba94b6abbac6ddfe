// The admin API's JSON as the commands read it (gateway/manager/admin-contract-view.ts and
// admin-routes-services.ts define it); only the fields the commands print.

export interface WireContract {
  hash: string;
  state: string;
  createdAt: number;
  validity: { notBefore: number; notAfter: number };
  grants: {
    type: string;
    hash: string;
    service: { peerId: string; name: string; protocol?: string; delegatorPeerId?: string };
    outway?: { peerId: string; publicKeyThumbprint: string };
    directory?: { peerId: string };
    delegator?: { peerId: string };
  }[];
  peers: { id: string; name: string }[];
  signatures: { accept: string[]; reject: string[]; revoke: string[] };
  missingSigners: string[];
  pendingForMe: boolean;
}

export interface WireHealth {
  status: 'up' | 'down' | 'unknown';
  checkedAt?: number;
  latencyMs?: number;
  since?: number;
  reason?: string;
}

export interface WireServices {
  peer: { id: string; name: string };
  own: {
    name: string;
    endpointUrl: string;
    inwayAddress: string;
    protocol: string;
    publication: { state: string; contractHash: string; missingSigners: string[] } | null;
    health?: WireHealth;
  }[];
  group: {
    type: string;
    peer: { id: string; name: string };
    name: string;
    protocol: string;
    delegator?: { id: string; name: string };
    inwayAddress?: string;
    health: WireHealth;
  }[];
  directory: { reachable: boolean; error?: string; code?: string } | null;
}

export interface WirePublished {
  created: boolean;
  service: { name: string; endpointUrl: string; inwayAddress: string; protocol: string };
  contract: WireContract;
}
