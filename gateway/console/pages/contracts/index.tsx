// The contracts page: the list (contracts waiting for this peer first), accept and reject as plain
// form posts, and revoke behind a confirmation page. An action's outcome is shown once, after the
// redirect back to the list.
import { isFscError } from '../../../protocol/index.ts';
import type { AdminContract, SignAction } from '../../../admin/index.ts';
import { definePage } from '../../shell/console-page.ts';
import { errorInfo } from '../../shell/error-info.ts';
import type { Flash } from '../../shell/flash.ts';
import { shortHash } from '../../shell/format.ts';
import type { ConsoleContext } from '../../shell/guards.ts';
import { BASE } from '../../shell/layout.tsx';
import { CONTRACTS_MESSAGES } from './messages.ts';
import { ContractsPage, RevokePage, type ContractsView } from './view.tsx';

const CONTRACT_HASH = /^\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,200}$/;

export const contractsPage = definePage({
  id: 'contracts',
  nav: { path: `${BASE}/contracts`, label: 'nav.contracts', order: 20 },
  messages: CONTRACTS_MESSAGES,
  routes(app, ctx) {
    const { admin, logger, flashes } = ctx;

    async function contracts(): Promise<AdminContract[]> {
      const list = await admin.listContracts();
      return [...list].sort((a, b) => Number(b.pendingForMe) - Number(a.pendingForMe) || b.createdAt - a.createdAt || a.hash.localeCompare(b.hash));
    }

    async function findContract(hash: string): Promise<AdminContract | undefined> {
      if (!CONTRACT_HASH.test(hash)) return undefined;
      return (await admin.listContracts()).find((k) => k.hash === hash);
    }

    const unknownContract = (c: ConsoleContext): Promise<Response> => {
      const page = ctx.page(c);
      return ctx.message(c, 404, { title: page.t('notfound.title'), text: page.t('contracts.unknown'), back: `${BASE}/contracts` });
    };

    app.get(`${BASE}/contracts`, async (c) => {
      const page = ctx.page(c);
      const all = await contracts();
      const pending = all.filter((k) => k.pendingForMe);
      const asked = c.req.query('show');
      const view: ContractsView = asked === 'pending' || asked === 'all' ? asked : pending.length > 0 ? 'pending' : 'all';
      const session = c.get('session');
      const flash = session === undefined ? undefined : flashes.take(session.id);
      return ctx.html(
        c,
        <ContractsPage
          page={page}
          data={{
            view,
            contracts: view === 'pending' ? pending : all,
            pendingCount: pending.length,
            totalCount: all.length,
            ...(flash === undefined ? {} : { flash }),
          }}
        />,
      );
    });

    app.get(`${BASE}/contracts/:hash/revoke`, async (c) => {
      const contract = await findContract(c.req.param('hash'));
      if (contract === undefined) return unknownContract(c);
      return ctx.html(c, <RevokePage page={ctx.page(c)} contract={contract} />);
    });

    app.post(`${BASE}/contracts/:hash/:action{accept|reject|revoke}`, async (c) => {
      const page = ctx.page(c);
      const hash = c.req.param('hash');
      const action = c.req.param('action') as SignAction;
      const contract = await findContract(hash);
      if (contract === undefined) return unknownContract(c);
      const session = c.get('session');
      let flash: Flash;
      try {
        await admin.signContract(hash, action);
        logger.info({ contract: hash, action }, 'console contract signed');
        flash = { kind: 'success', text: page.t(`contracts.done.${action}`, { hash: shortHash(hash) }) };
      } catch (err) {
        logger.warn({ contract: hash, action, err: errorInfo(err) }, 'console contract signing failed');
        // FscError messages are written for clients (never secrets); anything else stays in the log.
        const reason = isFscError(err) ? err.message : page.t('error.generic');
        flash = { kind: 'error', text: page.t('contracts.failed', { reason }) };
      }
      if (session !== undefined) flashes.set(session.id, flash);
      return c.redirect(`${BASE}/contracts?show=all`, 303);
    });
  },
});
