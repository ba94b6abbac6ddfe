// The face of gateway/runtime: the server bootstrap shared by manager, inway, outway, directory and
// console (TLS listeners, hono error boundary, logs, metrics, trace context, health, shutdown).
// Explicit named exports only.

// --- logger.ts ---
export type { Logger, LogLevel, LoggerOptions } from './logger.ts';
export { createLogger, redactLogObject, REDACTED, REDACTED_FIELDS } from './logger.ts';

// --- tls.ts ---
export type { TlsMinVersion, PeerTlsFiles, PeerTlsMaterial, ServerTlsConfig } from './tls.ts';
export {
  certificateChainProblem,
  loadPeerTls,
  createServerTlsOptions,
  peerCertificate,
  peerCertificateOfSocket,
} from './tls.ts';

// --- server.ts ---
export type {
  FetchApp,
  ServerTimeouts,
  ServerLimits,
  ListenerSettings,
  StartHttpServerOptions,
  RunningServer,
} from './server.ts';
export { startHttpServer, listenerOptionsFrom, LIMIT_DEFAULTS } from './server.ts';

// --- request-context.ts ---
export type { RuntimeVariables } from './request-context.ts';
export { setTransactionId, transactionIdOf, onResponseDone } from './request-context.ts';

// --- error-boundary.ts ---
export type { ErrorBoundaryOptions } from './error-boundary.ts';
export { fscErrorResponse, createErrorHandler, createNotFoundHandler, installErrorBoundary } from './error-boundary.ts';

// --- request-logger.ts ---
export type { RequestLoggerOptions } from './request-logger.ts';
export { requestLogger } from './request-logger.ts';

// --- request-body.ts ---
export type { BodyLimitOptions, ReadJsonOptions } from './request-body.ts';
export { DEFAULT_MAX_BODY_BYTES, bodyLimit, readJsonBody } from './request-body.ts';

// --- http-client.ts ---
export type { MtlsAgentOptions, UpstreamErrorKind, UpstreamError } from './http-client.ts';
export { createMtlsAgent, createPeerAgent, upstreamErrorFor, upstreamErrorCodes } from './http-client.ts';
export type { PeerConnectionSettings } from './http-client.ts';

// --- trace.ts ---
export { newTraceId, newSpanId, formatTraceparent, childTraceparent, toSpanContext } from './trace.ts';

// --- metrics.ts ---
export type { Metrics, MetricsOptions } from './metrics.ts';
export { HTTP_DURATION_BUCKETS_SECONDS, createMetrics } from './metrics.ts';

// --- shutdown.ts ---
export type { Closer, SignalSource, ShutdownOptions, ShutdownHandle } from './shutdown.ts';
export { onShutdown } from './shutdown.ts';

// --- health.ts ---
export type { ReadinessCheck, HealthOptions } from './health.ts';
export { healthRoutes } from './health.ts';
