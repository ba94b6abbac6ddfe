// POST /admin/services: publish a service (store its inway configuration, offer a publication
// contract to the directory). GET /admin/services: our services with their publication state, and
// the group's services from the directory with their inway health.
import { Hono } from 'hono';
import { z } from 'zod';
import { FscError, isFscError, SERVICE_NAME_PATTERN } from '../../protocol/index.ts';
import type { ContractState, Protocol } from '../../protocol/index.ts';
import { readJsonBody } from '../../runtime/index.ts';
import { allContracts, type AdminContext } from '../context.ts';
import { createPeerNames, toAdminContract } from '../contract-view.ts';
import { groupServiceJson, type GroupService } from '../group-services.ts';
import { holdsExactly, isLive, publicationGrant, validityFor } from '../publication.ts';
import { isManagerAddress } from '../../manager/index.ts';
import type { ContractView } from '../../manager/index.ts';

const DOMAIN = 'ERROR_DOMAIN_MANAGER' as const;
const PROTOCOLS = ['PROTOCOL_TCP_HTTP_1.1', 'PROTOCOL_TCP_HTTP_2'] as const;

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

const publishSchema = z.strictObject({
  name: z.string().regex(SERVICE_NAME_PATTERN, 'must be 1–100 letters, digits, dots, dashes or underscores'),
  endpointUrl: httpUrl,
  inwayAddress: z.string().refine(isManagerAddress, 'must be https://host:port').optional(),
  protocol: z.enum(PROTOCOLS).default('PROTOCOL_TCP_HTTP_1.1'),
  validityDays: z.number().int().min(1).max(3650).default(365),
});

export interface OwnService {
  name: string;
  endpointUrl: string;
  inwayAddress: string;
  protocol: Protocol;
  publication: { state: ContractState; contractHash: string; missingSigners: string[] } | null;
  health?: GroupService['health'];
}

/** valid before proposed before ended; the newest first within each. */
function rank(state: ContractState): number {
  return state === 'valid' ? 0 : state === 'proposed' ? 1 : 2;
}

export function serviceAdminRoutes(ctx: AdminContext): Hono {
  const app = new Hono();
  const { service, store } = ctx;

  async function ownPublications(): Promise<ContractView[]> {
    const out: ContractView[] = [];
    for await (const contract of allContracts(service, {
      grantTypes: ['GRANT_TYPE_SERVICE_PUBLICATION'],
      peerId: service.peerId,
    })) {
      out.push(contract);
    }
    return out;
  }

  app.post('/services', async (c) => {
    const body = await readJsonBody(c, {
      domain: DOMAIN,
      schema: publishSchema,
      maxBodyBytes: ctx.config.manager.maxBodyBytes,
    });
    const inwayAddress = body.inwayAddress ?? ctx.config.inway.publicAddress;
    if (inwayAddress === undefined) {
      throw new FscError(
        'ERROR_CODE_BAD_REQUEST',
        'inwayAddress is required: this peer has no inway.publicAddress configured',
        {
          reason: 'no-inway-address',
        },
      );
    }
    const grant = publicationGrant({
      directoryPeerId: await ctx.directoryPeerId(),
      servicePeerId: service.peerId,
      name: body.name,
      protocol: body.protocol,
      inwayAddress,
      hashScheme: ctx.config.hashScheme,
    });
    // The inway serves the service from now on, whatever the directory does with the contract.
    await store.putService({ name: body.name, endpointUrl: body.endpointUrl, inwayAddress, protocol: body.protocol });
    const nameOf = createPeerNames(store, service);
    const serviceOut = { name: body.name, endpointUrl: body.endpointUrl, inwayAddress, protocol: body.protocol };

    // Publishing what is already published (or on its way) changes nothing: the same answer again.
    const existing = (await ownPublications()).find((contract) => isLive(contract) && holdsExactly(contract, grant));
    if (existing !== undefined) {
      return c.json(
        { created: false, service: serviceOut, contract: await toAdminContract(existing, service.peerId, nameOf) },
        200,
      );
    }
    const contract = await service.submitContract({
      grants: [{ data: grant }],
      validity: validityFor(ctx.clock(), body.validityDays),
    });
    ctx.logger.info(
      { service: body.name, contentHash: contract.contentHash },
      'service publication offered to the directory',
    );
    return c.json(
      { created: true, service: serviceOut, contract: await toAdminContract(contract, service.peerId, nameOf) },
      201,
    );
  });

  app.get('/services', async (c) => {
    const [records, publications] = await Promise.all([store.listServices(), ownPublications()]);
    let group: GroupService[] = [];
    let directory: { reachable: boolean; error?: string; code?: string } | null = null;
    if (ctx.groupServices !== undefined) {
      try {
        group = (await ctx.groupServices.listServices()).map(groupServiceJson);
        directory = { reachable: true };
      } catch (err) {
        // Our own services are still worth showing when the directory is away.
        ctx.logger.warn({ err }, 'group services unavailable');
        directory = isFscError(err)
          ? { reachable: false, error: err.message, code: err.code }
          : { reachable: false, error: 'the directory could not be asked' };
      }
    }
    const own: OwnService[] = records.map((record) => {
      const candidates = publications
        .filter((p) =>
          p.content.grants.some(
            (g) =>
              g.data.type === 'GRANT_TYPE_SERVICE_PUBLICATION' &&
              g.data.service.peer_id === service.peerId &&
              g.data.service.name === record.name,
          ),
        )
        .sort((a, b) => rank(a.state) - rank(b.state) || b.content.created_at - a.content.created_at);
      const best = candidates[0];
      const listed = group.find(
        (s) => s.peer.id === service.peerId && s.name === record.name && s.delegator === undefined,
      );
      const out: OwnService = {
        name: record.name,
        endpointUrl: record.endpointUrl,
        inwayAddress: record.inwayAddress,
        protocol: record.protocol,
        publication:
          best === undefined
            ? null
            : { state: best.state, contractHash: best.contentHash, missingSigners: best.missingSigners },
      };
      if (listed !== undefined) out.health = listed.health;
      return out;
    });
    return c.json({ peer: { id: service.peerId, name: service.peerName }, own, group, directory });
  });

  return app;
}
