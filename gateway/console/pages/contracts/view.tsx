// The contracts page: every contract with its state, grants, parties and signatures, who still has
// to sign, and the operator's actions as plain POST forms (they work without JavaScript). Revoking is
// final for every party, so it goes through a confirmation page first.
import type { FC } from 'hono/jsx';
import type { AdminContract, AdminGrant, SignAction } from '../../../admin/index.ts';
import { formatDate, formatTime, shortHash } from '../../shell/format.ts';
import type { Translate } from '../../shell/i18n.ts';
import { BASE, CsrfField, Layout, Notice, type PageContext as ShellPageContext } from '../../shell/layout.tsx';
import type { ContractsKey } from './messages.ts';

type PageContext = ShellPageContext<ContractsKey>;

export type ContractsView = 'pending' | 'all';

export interface ContractsPageData {
  view: ContractsView;
  contracts: AdminContract[];
  pendingCount: number;
  totalCount: number;
  /** The result of the last action (after the redirect). */
  flash?: { kind: 'success' | 'error'; text: string };
}

export function contractHref(hash: string, action: SignAction): string {
  return `${BASE}/contracts/${encodeURIComponent(hash)}/${action}`;
}

function namer(contract: AdminContract, page: PageContext): (id: string) => string {
  const names = new Map(contract.peers.map((p) => [p.id, p.name]));
  return (id) => {
    if (id === page.peerId) return `${page.t('contracts.you')} (${id})`;
    const name = names.get(id);
    return name === undefined || name === '' ? id : `${name} (${id})`;
  };
}

function grantText(grant: AdminGrant, t: Translate<ContractsKey>, nameOf: (id: string) => string): string {
  const key = `grant.${grant.type}` as const;
  const delegator = grant.delegator?.peerId ?? grant.service.delegatorPeerId;
  return t(key, {
    service: grant.service.name,
    provider: nameOf(grant.service.peerId),
    directory: grant.directory === undefined ? '' : nameOf(grant.directory.peerId),
    outway: grant.outway === undefined ? '' : nameOf(grant.outway.peerId),
    delegator: delegator === undefined ? '' : nameOf(delegator),
  });
}

const ActionForm: FC<{ hash: string; action: 'accept' | 'reject'; page: PageContext }> = ({ hash, action, page }) => (
  <form class="inline" method="post" action={contractHref(hash, action)}>
    <CsrfField token={page.csrfToken} />
    <button type="submit" class={action === 'reject' ? 'danger secondary' : ''} data-action={action}>
      {page.t(action === 'accept' ? 'contracts.accept' : 'contracts.reject')}
    </button>
  </form>
);

const ContractRow: FC<{ contract: AdminContract; page: PageContext }> = ({ contract, page }) => {
  const { t, lang } = page;
  const nameOf = namer(contract, page);
  const list = (ids: string[]): string => ids.map(nameOf).join(', ');
  const canRevoke = (contract.state === 'valid' || contract.state === 'proposed') && !contract.pendingForMe;
  return (
    <tr data-contract={contract.hash} data-state={contract.state}>
      <td class="contract-id">
        <code class="hash" title={contract.hash}>
          {shortHash(contract.hash)}
        </code>
        <br />
        <span class="muted nowrap">{t('contracts.created', { time: formatTime(contract.createdAt, lang) })}</span>
        <br />
        <span class="muted">
          {t('contracts.valid', { from: formatDate(contract.validity.notBefore, lang), to: formatDate(contract.validity.notAfter, lang) })}
        </span>
      </td>
      <td>
        <span class={`badge state-${contract.state}`}>{t(`state.${contract.state}`)}</span>
      </td>
      <td>
        <ul class="plain">
          {contract.grants.map((g) => (
            <li>{grantText(g, t, nameOf)}</li>
          ))}
        </ul>
      </td>
      <td>
        <ul class="plain">
          {contract.peers.map((p) => (
            <li>{nameOf(p.id)}</li>
          ))}
        </ul>
      </td>
      <td>
        <ul class="plain">
          {contract.signatures.accept.length > 0 ? <li>{t('contracts.accepted.by', { names: list(contract.signatures.accept) })}</li> : null}
          {contract.state === 'proposed' && contract.missingSigners.length > 0 ? (
            <li>
              <strong>{t('contracts.waiting.for', { names: list(contract.missingSigners) })}</strong>
            </li>
          ) : null}
          {contract.signatures.reject.length > 0 ? <li>{t('contracts.rejected.by', { names: list(contract.signatures.reject) })}</li> : null}
          {contract.signatures.revoke.length > 0 ? <li>{t('contracts.revoked.by', { names: list(contract.signatures.revoke) })}</li> : null}
        </ul>
      </td>
      <td>
        <div class="actions">
          {contract.pendingForMe ? (
            <>
              <ActionForm hash={contract.hash} action="accept" page={page} />
              <ActionForm hash={contract.hash} action="reject" page={page} />
            </>
          ) : null}
          {canRevoke ? (
            <a class="button danger secondary" href={contractHref(contract.hash, 'revoke')} data-action="revoke">
              {t('contracts.revoke')}
            </a>
          ) : null}
        </div>
      </td>
    </tr>
  );
};

export const ContractsPage: FC<{ page: PageContext; data: ContractsPageData }> = ({ page, data }) => {
  const { t } = page;
  const tab = (view: ContractsView, label: string) => (
    <li>
      <a href={`${BASE}/contracts?show=${view}`} aria-current={data.view === view ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <Layout page={page} section="contracts" title={t('contracts.title')}>
      <h1>{t('contracts.title')}</h1>
      {data.flash ? <Notice kind={data.flash.kind}>{data.flash.text}</Notice> : null}
      <nav aria-label={t('contracts.filter.label')}>
        <ul class="tabs">
          {tab('pending', t('contracts.filter.pending', { count: data.pendingCount }))}
          {tab('all', t('contracts.filter.all', { count: data.totalCount }))}
        </ul>
      </nav>
      {data.contracts.length === 0 ? (
        <p>{t('contracts.none')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{t('contracts.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('contracts.col.contract')}</th>
                <th scope="col">{t('contracts.col.state')}</th>
                <th scope="col">{t('contracts.col.grants')}</th>
                <th scope="col">{t('contracts.col.parties')}</th>
                <th scope="col">{t('contracts.col.signatures')}</th>
                <th scope="col">{t('contracts.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {data.contracts.map((c) => (
                <ContractRow contract={c} page={page} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
};

/** The confirmation step before a revoke. */
export const RevokePage: FC<{ page: PageContext; contract: AdminContract }> = ({ page, contract }) => {
  const { t } = page;
  const nameOf = namer(contract, page);
  return (
    <Layout page={page} section="contracts" title={t('contracts.revoke.title')}>
      <h1>{t('contracts.revoke.title')}</h1>
      <dl class="facts">
        <dt>{t('contracts.col.contract')}</dt>
        <dd>
          <code class="hash">{contract.hash}</code>
        </dd>
        <dt>{t('contracts.col.state')}</dt>
        <dd>
          <span class={`badge state-${contract.state}`}>{t(`state.${contract.state}`)}</span>
        </dd>
        <dt>{t('contracts.col.grants')}</dt>
        <dd>
          <ul class="plain">
            {contract.grants.map((g) => (
              <li>{grantText(g, t, nameOf)}</li>
            ))}
          </ul>
        </dd>
      </dl>
      <Notice kind="error">{t('contracts.revoke.warning')}</Notice>
      <form method="post" action={contractHref(contract.hash, 'revoke')}>
        <CsrfField token={page.csrfToken} />
        <div class="form-buttons">
          <button type="submit" class="danger" data-action="confirm-revoke">
            {t('contracts.revoke.confirm')}
          </button>
          <a href={`${BASE}/contracts?show=all`}>{t('contracts.revoke.cancel')}</a>
        </div>
      </form>
    </Layout>
  );
};
