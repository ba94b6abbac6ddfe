// Acts on reviewPublication: accepts or rejects publication contracts as they arrive (the manager's
// onContractReceived hook), and sweeps the stored ones at start, so a contract that arrived while a
// previous process was stopping is not left unsigned for ever.
import type { ContractReceivedEvent, ContractView, ManagerHooks, ManagerService } from '../gateway/manager/index.ts';
import type { Logger } from '../gateway/runtime/index.ts';
import { reviewPublication, type PublicationDecision } from './publication-review.ts';

export interface PublicationSignerOptions {
  selfPeerId: string;
  logger: Logger;
  /** The manager's service; a function because the hooks exist before the manager does. */
  service: () => ManagerService | undefined;
  /** Called with the contract after our accept signature (e.g. to probe a newly listed inway). */
  onAccepted?: (contract: ContractView) => void;
}

export interface SweepResult {
  accepted: number;
  rejected: number;
}

export interface PublicationSigner {
  readonly hooks: ManagerHooks;
  /** Review every stored publication contract that still waits for our signature. */
  sweep(): Promise<SweepResult>;
  /** Review one contract now (the hook does this for every new contract). */
  review(contract: ContractView, submitterPeerId?: string): Promise<PublicationDecision>;
}

const PAGE = 500;

export function createPublicationSigner(options: PublicationSignerOptions): PublicationSigner {
  const { selfPeerId, logger } = options;

  function requireService(): ManagerService {
    const service = options.service();
    if (service === undefined) throw new Error('the directory manager is not ready');
    return service;
  }

  async function review(contract: ContractView, submitterPeerId?: string): Promise<PublicationDecision> {
    const decision = reviewPublication(
      contract,
      submitterPeerId === undefined ? { selfPeerId } : { selfPeerId, submitterPeerId },
    );
    const fields = { contentHash: contract.contentHash, submitter: submitterPeerId };
    switch (decision.action) {
      case 'accept':
        options.onAccepted?.(await requireService().sign(contract.contentHash, 'accept'));
        logger.info(fields, 'service publication accepted');
        break;
      case 'reject':
        await requireService().sign(contract.contentHash, 'reject');
        // The publisher's mistake, not ours: info, with the rule it broke.
        logger.info({ ...fields, reason: decision.reason }, 'service publication rejected');
        break;
      case 'ignore':
        logger.debug({ ...fields, reason: decision.reason }, 'contract left to the operator');
        break;
    }
    return decision;
  }

  return {
    review,
    hooks: {
      async onContractReceived(event: ContractReceivedEvent) {
        await review(event.contract, event.from);
      },
    },
    async sweep() {
      const service = requireService();
      const result: SweepResult = { accepted: 0, rejected: 0 };
      let cursor: string | undefined;
      do {
        const page = await service.listContracts({
          grantTypes: ['GRANT_TYPE_SERVICE_PUBLICATION', 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION'],
          peerId: selfPeerId,
          limit: PAGE,
          sortOrder: 'SORT_ORDER_ASCENDING',
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const contract of page.contracts) {
          if (contract.state !== 'proposed') continue;
          const decision = await review(contract);
          if (decision.action === 'accept') result.accepted++;
          if (decision.action === 'reject') result.rejected++;
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return result;
    },
  };
}
