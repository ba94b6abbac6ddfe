// PUT /announce, GET /peer, GET /peers (manager.yaml; fsc-core "Announce", "Peer listing").
import { Hono } from 'hono';
import { FscError } from '../../protocol/index.ts';
import type { ListPeersOptions, ManagerStore } from '../../store/index.ts';
import { managerAddressOf, type ManagerEnv } from '../http-context.ts';
import { listParam, MAX_LIMIT, parsePageQuery, singleParam } from '../query-params.ts';
import type { Clock, SelfIdentity } from '../types.ts';
import { toWirePeer } from '../wire.ts';

/** manager.yaml `fscVersion` / `enabledExtensions`: the versions this manager speaks. */
export const FSC_VERSION = '1.0.0';
export const ENABLED_EXTENSIONS = Object.freeze({
  EXTENSION_DELEGATION: '1.0.0',
  EXTENSION_TRANSACTION_LOGGING: '1.0.0',
});

export interface PeerRoutesOptions {
  store: ManagerStore;
  self: Pick<SelfIdentity, 'peerId' | 'name'>;
  clock: Clock;
}

export function peerRoutes(options: PeerRoutesOptions): Hono<ManagerEnv> {
  const { store, self, clock } = options;
  const app = new Hono<ManagerEnv>();

  // fsc-core "Peer listing": "The Manager MUST persist the Peer ID, name and Manager address of each
  // Peer who called the announce endpoint". Id and name come from the certificate, never the request.
  app.put('/announce', async (c) => {
    const managerAddress = managerAddressOf(c);
    const caller = c.get('caller');
    await store.upsertPeer({ id: caller.peerId, name: caller.name, managerAddress, seenAt: clock() });
    return c.body(null, 200);
  });

  app.get('/peer', (c) =>
    c.json({
      peer_id: self.peerId,
      peer_name: self.name,
      fsc_version: FSC_VERSION,
      enabled_extensions: { ...ENABLED_EXTENSIONS },
    }),
  );

  app.get('/peers', async (c) => {
    const query = (name: string): string[] | undefined => c.req.queries(name);
    const peerIds = listParam(query('peer_id'));
    let listOptions: ListPeersOptions;
    if (peerIds.length > 0) {
      if (peerIds.length > MAX_LIMIT) {
        throw new FscError('ERROR_CODE_BAD_REQUEST', `at most ${MAX_LIMIT} peer ids`, { reason: 'invalid-query' });
      }
      // manager.yaml: with peer_id "the pagination parameters and other filters should be ignored".
      listOptions = { peerIds, limit: MAX_LIMIT, sortOrder: parsePageQuery(query).sortOrder };
    } else {
      const page = parsePageQuery(query);
      listOptions = { limit: page.limit, sortOrder: page.sortOrder };
      if (page.cursor !== undefined) listOptions.cursor = page.cursor;
      const name = singleParam(query('peer_name'), 'peer_name');
      if (name !== undefined && name !== '') {
        if (name.length > 255) throw new FscError('ERROR_CODE_BAD_REQUEST', 'peer_name is at most 255 characters', { reason: 'invalid-query' });
        listOptions.nameContains = name;
      }
    }
    const page = await store.listPeers(listOptions);
    return c.json({
      peers: page.items.map(toWirePeer),
      pagination: { next_cursor: peerIds.length > 0 ? '' : (page.nextCursor ?? '') },
    });
  });

  return app;
}
