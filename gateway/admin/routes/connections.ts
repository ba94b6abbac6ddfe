// POST /admin/connections: ask a provider for access to one of its services. Creates a contract with
// a ServiceConnectionGrant for our outway's public key (fsc-core "ServiceConnectionGrant"; contracts
// bind the outway by public-key thumbprint, so certificate renewal keeps them valid), signs it and
// sends it to the provider, whose operator accepts or rejects it.
import { Hono } from 'hono';
import { z } from 'zod';
import { FscError, SERVICE_NAME_PATTERN } from '../../protocol/index.ts';
import type { ServiceConnectionGrantData } from '../../protocol/index.ts';
import { readJsonBody } from '../../runtime/index.ts';
import { allContracts, type AdminContext } from '../context.ts';
import { createPeerNames, toAdminContract } from '../contract-view.ts';
import { holdsExactly, isLive, noDirectory, validityFor } from '../publication.ts';

const connectSchema = z.strictObject({
  peerId: z.string().regex(/^\S{3,255}$/, 'must be a peer id (3–255 characters, no spaces)'),
  service: z.string().regex(SERVICE_NAME_PATTERN, 'must be 1–100 letters, digits, dots, dashes or underscores'),
  validityDays: z.number().int().min(1).max(3650).default(365),
});

export function connectionAdminRoutes(ctx: AdminContext): Hono {
  const app = new Hono();
  const { service, store } = ctx;

  app.post('/connections', async (c) => {
    const body = await readJsonBody(c, {
      domain: 'ERROR_DOMAIN_MANAGER',
      schema: connectSchema,
      maxBodyBytes: ctx.config.manager.maxBodyBytes,
    });
    // The directory says whether the service exists and whether it is offered on behalf of another
    // peer, which the grant must then name (fsc-core "DelegatedServicePublicationGrant").
    if (ctx.groupServices === undefined) throw noDirectory();
    const listed = (await ctx.groupServices.listServices()).filter(
      (s) => s.peer.id === body.peerId && s.name === body.service,
    );
    if (listed.length === 0) {
      throw new FscError(
        'ERROR_CODE_NOT_FOUND',
        `the directory lists no service ${body.service} of peer ${body.peerId}`,
        {
          reason: 'service-not-listed',
        },
      );
    }
    // A service published by its peer itself is preferred over one published on its behalf.
    const target = listed.find((s) => s.delegator === undefined) ?? listed[0]!;
    const grant: ServiceConnectionGrantData = {
      type: 'GRANT_TYPE_SERVICE_CONNECTION',
      outway: { peer_id: service.peerId, public_key_thumbprint: ctx.outwayPublicKeyThumbprint },
      service:
        target.delegator === undefined
          ? { type: 'SERVICE_TYPE_SERVICE', peer_id: body.peerId, name: body.service }
          : {
              type: 'SERVICE_TYPE_DELEGATED_SERVICE',
              peer_id: body.peerId,
              name: body.service,
              delegator: { peer_id: target.delegator.id },
            },
    };

    for await (const contract of allContracts(service, {
      grantTypes: ['GRANT_TYPE_SERVICE_CONNECTION'],
      peerId: service.peerId,
    })) {
      if (isLive(contract) && holdsExactly(contract, grant)) {
        throw new FscError(
          'ERROR_CODE_CONTRACT_ALREADY_EXISTS',
          `a connection to ${body.service} of ${body.peerId} is already ${contract.state}: contract ${contract.contentHash}`,
          { reason: 'connection-exists' },
        );
      }
    }
    const contract = await service.submitContract({
      grants: [{ data: grant }],
      validity: validityFor(ctx.clock(), body.validityDays),
    });
    ctx.logger.info(
      { provider: body.peerId, service: body.service, contentHash: contract.contentHash },
      'connection requested',
    );
    return c.json({ contract: await toAdminContract(contract, service.peerId, createPeerNames(store, service)) }, 201);
  });

  return app;
}
