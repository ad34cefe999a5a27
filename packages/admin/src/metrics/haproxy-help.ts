/**
 * HELP texts and types of HAProxy 2.6's Prometheus exporter, by metric name (as its /metrics
 * prints them), so dashboards built on HAProxy's metrics read the same names and meanings.
 */

export const HAPROXY_METRICS: Record<string, readonly [type: 'gauge' | 'counter', help: string]> = {
  haproxy_process_nbthread: ['gauge', 'Number of started threads (global.nbthread)'],
  haproxy_process_nbproc: ['gauge', 'Number of started worker processes (historical, always 1)'],
  haproxy_process_relative_process_id: ['gauge', 'Relative worker process number (1)'],
  haproxy_process_uptime_seconds: ['gauge', 'How long ago this worker process was started (seconds)'],
  haproxy_process_pool_failures_total: ['counter', 'Number of failed pool allocations since this worker was started'],
  haproxy_process_max_fds: ['gauge', 'Hard limit on the number of per-process file descriptors'],
  haproxy_process_max_sockets: ['gauge', 'Hard limit on the number of per-process sockets'],
  haproxy_process_max_connections: [
    'gauge',
    'Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)',
  ],
  haproxy_process_hard_max_connections: [
    'gauge',
    'Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)',
  ],
  haproxy_process_current_connections: ['gauge', 'Current number of connections on this worker process'],
  haproxy_process_connections_total: ['counter', 'Total number of connections on this worker process since started'],
  haproxy_process_requests_total: ['counter', 'Total number of requests on this worker process since started'],
  haproxy_process_max_ssl_connections: [
    'gauge',
    'Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited',
  ],
  haproxy_process_current_ssl_connections: [
    'gauge',
    'Current number of SSL endpoints on this worker process (front+back)',
  ],
  haproxy_process_ssl_connections_total: [
    'counter',
    'Total number of SSL endpoints on this worker process since started (front+back)',
  ],
  haproxy_process_max_pipes: ['gauge', 'Hard limit on the number of pipes for splicing, 0=unlimited'],
  haproxy_process_pipes_used_total: ['counter', 'Current number of pipes in use in this worker process'],
  haproxy_process_pipes_free_total: [
    'counter',
    'Current number of allocated and available pipes in this worker process',
  ],
  haproxy_process_current_connection_rate: [
    'gauge',
    'Number of front connections created on this worker process over the last second',
  ],
  haproxy_process_limit_connection_rate: ['gauge', 'Hard limit for ConnRate (global.maxconnrate)'],
  haproxy_process_max_connection_rate: [
    'gauge',
    'Highest ConnRate reached on this worker process since started (in connections per second)',
  ],
  haproxy_process_current_session_rate: [
    'gauge',
    'Number of sessions created on this worker process over the last second',
  ],
  haproxy_process_limit_session_rate: ['gauge', 'Hard limit for SessRate (global.maxsessrate)'],
  haproxy_process_max_session_rate: [
    'gauge',
    'Highest SessRate reached on this worker process since started (in sessions per second)',
  ],
  haproxy_process_current_ssl_rate: [
    'gauge',
    'Number of SSL connections created on this worker process over the last second',
  ],
  haproxy_process_limit_ssl_rate: ['gauge', 'Hard limit for SslRate (global.maxsslrate)'],
  haproxy_process_max_ssl_rate: [
    'gauge',
    'Highest SslRate reached on this worker process since started (in connections per second)',
  ],
  haproxy_process_current_frontend_ssl_key_rate: [
    'gauge',
    'Number of SSL keys created on frontends in this worker process over the last second',
  ],
  haproxy_process_max_frontend_ssl_key_rate: [
    'gauge',
    'Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)',
  ],
  haproxy_process_frontend_ssl_reuse: ['gauge', 'Percent of frontend SSL connections which did not require a new key'],
  haproxy_process_current_backend_ssl_key_rate: [
    'gauge',
    'Number of SSL keys created on backends in this worker process over the last second',
  ],
  haproxy_process_max_backend_ssl_key_rate: [
    'gauge',
    'Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)',
  ],
  haproxy_process_ssl_cache_lookups_total: [
    'counter',
    'Total number of SSL session ID lookups in the SSL session cache on this worker since started',
  ],
  haproxy_process_ssl_cache_misses_total: [
    'counter',
    "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started",
  ],
  haproxy_process_http_comp_bytes_in_total: [
    'counter',
    'Number of bytes submitted to the HTTP compressor in this worker process over the last second',
  ],
  haproxy_process_http_comp_bytes_out_total: [
    'counter',
    'Number of bytes emitted by the HTTP compressor in this worker process over the last second',
  ],
  haproxy_process_limit_http_comp: [
    'gauge',
    'Limit of CompressBpsOut beyond which HTTP compression is automatically disabled',
  ],
  haproxy_process_current_zlib_memory: [
    'gauge',
    'Amount of memory currently used by HTTP compression on the current worker process (in bytes)',
  ],
  haproxy_process_max_zlib_memory: [
    'gauge',
    'Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)',
  ],
  haproxy_process_current_tasks: ['gauge', 'Total number of tasks in the current worker process (active + sleeping)'],
  haproxy_process_current_run_queue: ['gauge', 'Total number of active tasks+tasklets in the current worker process'],
  haproxy_process_idle_time_percent: ['gauge', 'Percentage of last second spent waiting in the current worker thread'],
  haproxy_process_stopping: ['gauge', '1 if the worker process is currently stopping, otherwise zero'],
  haproxy_process_jobs: [
    'gauge',
    'Current number of active jobs on the current worker process (frontend connections, master connections, listeners)',
  ],
  haproxy_process_unstoppable_jobs: [
    'gauge',
    'Current number of unstoppable jobs on the current worker process (master connections)',
  ],
  haproxy_process_listeners: ['gauge', 'Current number of active listeners on the current worker process'],
  haproxy_process_active_peers: [
    'gauge',
    'Current number of verified active peers connections on the current worker process',
  ],
  haproxy_process_connected_peers: [
    'gauge',
    'Current number of peers having passed the connection step on the current worker process',
  ],
  haproxy_process_dropped_logs_total: [
    'counter',
    'Total number of dropped logs for current worker process since started',
  ],
  haproxy_process_busy_polling_enabled: [
    'gauge',
    '1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)',
  ],
  haproxy_process_failed_resolutions: [
    'counter',
    'Total number of failed DNS resolutions in current worker process since started',
  ],
  haproxy_process_bytes_out_total: ['counter', 'Total number of bytes emitted by current worker process since started'],
  haproxy_process_spliced_bytes_out_total: [
    'counter',
    'Total number of bytes emitted by current worker process through a kernel pipe since started',
  ],
  haproxy_process_bytes_out_rate: ['gauge', 'Number of bytes emitted by current worker process over the last second'],
  haproxy_process_recv_logs_total: [
    'counter',
    'Total number of log messages received by log-forwarding listeners on this worker process since started',
  ],
  haproxy_process_build_info: ['gauge', 'Build info'],
  haproxy_process_max_memory_bytes: [
    'gauge',
    "Worker process's hard limit on memory usage in byes (-m on command line)",
  ],
  haproxy_process_pool_allocated_bytes: ['gauge', 'Amount of memory allocated in pools (in bytes)'],
  haproxy_process_pool_used_bytes: ['gauge', 'Amount of pool memory currently used (in bytes)'],
  haproxy_process_start_time_seconds: ['gauge', 'Start time in seconds'],
  haproxy_frontend_current_sessions: ['gauge', 'Number of current sessions on the frontend, backend or server'],
  haproxy_frontend_max_sessions: ['gauge', 'Highest value of current sessions encountered since process started'],
  haproxy_frontend_limit_sessions: ['gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  haproxy_frontend_sessions_total: ['counter', 'Total number of sessions since process started'],
  haproxy_frontend_bytes_in_total: ['counter', 'Total number of request bytes since process started'],
  haproxy_frontend_bytes_out_total: ['counter', 'Total number of response bytes since process started'],
  haproxy_frontend_requests_denied_total: ['counter', 'Total number of denied requests since process started'],
  haproxy_frontend_responses_denied_total: ['counter', 'Total number of denied responses since process started'],
  haproxy_frontend_request_errors_total: ['counter', 'Total number of invalid requests since process started'],
  haproxy_frontend_status: ['gauge', 'Current status of the service, per state label value.'],
  haproxy_frontend_limit_session_rate: [
    'gauge',
    "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)",
  ],
  haproxy_frontend_max_session_rate: [
    'gauge',
    'Highest value of sessions per second observed since the worker process started',
  ],
  haproxy_frontend_http_responses_total: [
    'counter',
    'Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
  ],
  haproxy_frontend_http_requests_rate_max: [
    'gauge',
    'Highest value of http requests observed since the worker process started',
  ],
  haproxy_frontend_http_requests_total: [
    'counter',
    'Total number of HTTP requests processed by this object since the worker process started',
  ],
  haproxy_frontend_http_comp_bytes_in_total: [
    'counter',
    'Total number of bytes submitted to the HTTP compressor for this object since the worker process started',
  ],
  haproxy_frontend_http_comp_bytes_out_total: [
    'counter',
    'Total number of bytes emitted by the HTTP compressor for this object since the worker process started',
  ],
  haproxy_frontend_http_comp_bytes_bypassed_total: [
    'counter',
    'Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)',
  ],
  haproxy_frontend_http_comp_responses_total: [
    'counter',
    'Total number of HTTP responses that were compressed for this object since the worker process started',
  ],
  haproxy_frontend_connections_rate_max: [
    'gauge',
    'Highest value of connections per second observed since the worker process started',
  ],
  haproxy_frontend_connections_total: [
    'counter',
    'Total number of new connections accepted on this frontend since the worker process started',
  ],
  haproxy_frontend_intercepted_requests_total: [
    'counter',
    'Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started',
  ],
  haproxy_frontend_denied_connections_total: [
    'counter',
    'Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started',
  ],
  haproxy_frontend_denied_sessions_total: [
    'counter',
    'Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started',
  ],
  haproxy_frontend_failed_header_rewriting_total: [
    'counter',
    'Total number of failed HTTP header rewrites since the worker process started',
  ],
  haproxy_frontend_http_cache_lookups_total: [
    'counter',
    'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started',
  ],
  haproxy_frontend_http_cache_hits_total: [
    'counter',
    'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started',
  ],
  haproxy_frontend_internal_errors_total: ['counter', 'Total number of internal errors since process started'],
  haproxy_backend_current_queue: ['gauge', 'Number of current queued connections'],
  haproxy_backend_max_queue: ['gauge', 'Highest value of queued connections encountered since process started'],
  haproxy_backend_current_sessions: ['gauge', 'Number of current sessions on the frontend, backend or server'],
  haproxy_backend_max_sessions: ['gauge', 'Highest value of current sessions encountered since process started'],
  haproxy_backend_limit_sessions: ['gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  haproxy_backend_sessions_total: ['counter', 'Total number of sessions since process started'],
  haproxy_backend_bytes_in_total: ['counter', 'Total number of request bytes since process started'],
  haproxy_backend_bytes_out_total: ['counter', 'Total number of response bytes since process started'],
  haproxy_backend_requests_denied_total: ['counter', 'Total number of denied requests since process started'],
  haproxy_backend_responses_denied_total: ['counter', 'Total number of denied responses since process started'],
  haproxy_backend_connection_errors_total: [
    'counter',
    'Total number of failed connections to server since the worker process started',
  ],
  haproxy_backend_response_errors_total: [
    'counter',
    'Total number of invalid responses since the worker process started',
  ],
  haproxy_backend_retry_warnings_total: [
    'counter',
    'Total number of server connection retries since the worker process started',
  ],
  haproxy_backend_redispatch_warnings_total: [
    'counter',
    'Total number of server redispatches due to connection failures since the worker process started',
  ],
  haproxy_backend_status: ['gauge', 'Current status of the service, per state label value.'],
  haproxy_backend_weight: [
    'gauge',
    "Server's effective weight, or sum of active servers' effective weights for a backend",
  ],
  haproxy_backend_active_servers: ['gauge', 'Total number of active UP servers with a non-zero weight'],
  haproxy_backend_backup_servers: ['gauge', 'Total number of backup UP servers with a non-zero weight'],
  haproxy_backend_check_up_down_total: [
    'counter',
    'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started',
  ],
  haproxy_backend_check_last_change_seconds: ['gauge', 'How long ago the last server state changed, in seconds'],
  haproxy_backend_downtime_seconds_total: ['counter', 'Total time spent in DOWN state, for server or backend'],
  haproxy_backend_loadbalanced_total: [
    'counter',
    'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)',
  ],
  haproxy_backend_max_session_rate: [
    'gauge',
    'Highest value of sessions per second observed since the worker process started',
  ],
  haproxy_backend_http_responses_total: [
    'counter',
    'Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
  ],
  haproxy_backend_http_requests_total: [
    'counter',
    'Total number of HTTP requests processed by this object since the worker process started',
  ],
  haproxy_backend_client_aborts_total: [
    'counter',
    'Total number of requests or connections aborted by the client since the worker process started',
  ],
  haproxy_backend_server_aborts_total: [
    'counter',
    'Total number of requests or connections aborted by the server since the worker process started',
  ],
  haproxy_backend_http_comp_bytes_in_total: [
    'counter',
    'Total number of bytes submitted to the HTTP compressor for this object since the worker process started',
  ],
  haproxy_backend_http_comp_bytes_out_total: [
    'counter',
    'Total number of bytes emitted by the HTTP compressor for this object since the worker process started',
  ],
  haproxy_backend_http_comp_bytes_bypassed_total: [
    'counter',
    'Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)',
  ],
  haproxy_backend_http_comp_responses_total: [
    'counter',
    'Total number of HTTP responses that were compressed for this object since the worker process started',
  ],
  haproxy_backend_last_session_seconds: [
    'gauge',
    'How long ago some traffic was seen on this object on this worker process, in seconds',
  ],
  haproxy_backend_queue_time_average_seconds: ['gauge', 'Avg. queue time for last 1024 successful connections.'],
  haproxy_backend_connect_time_average_seconds: ['gauge', 'Avg. connect time for last 1024 successful connections.'],
  haproxy_backend_response_time_average_seconds: ['gauge', 'Avg. response time for last 1024 successful connections.'],
  haproxy_backend_total_time_average_seconds: ['gauge', 'Avg. total time for last 1024 successful connections.'],
  haproxy_backend_failed_header_rewriting_total: [
    'counter',
    'Total number of failed HTTP header rewrites since the worker process started',
  ],
  haproxy_backend_connection_attempts_total: [
    'counter',
    'Total number of outgoing connection attempts on this backend/server since the worker process started',
  ],
  haproxy_backend_connection_reuses_total: [
    'counter',
    'Total number of reused connection on this backend/server since the worker process started',
  ],
  haproxy_backend_http_cache_lookups_total: [
    'counter',
    'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started',
  ],
  haproxy_backend_http_cache_hits_total: [
    'counter',
    'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started',
  ],
  haproxy_backend_max_queue_time_seconds: ['gauge', 'Maximum observed time spent in the queue'],
  haproxy_backend_max_connect_time_seconds: [
    'gauge',
    'Maximum observed time spent waiting for a connection to complete',
  ],
  haproxy_backend_max_response_time_seconds: ['gauge', 'Maximum observed time spent waiting for a server response'],
  haproxy_backend_max_total_time_seconds: [
    'gauge',
    'Maximum observed total request+response time (request+queue+connect+response+processing)',
  ],
  haproxy_backend_internal_errors_total: ['counter', 'Total number of internal errors since process started'],
  haproxy_backend_uweight: ['gauge', "Server's user weight, or sum of active servers' user weights for a backend"],
  haproxy_backend_agg_server_status: ['gauge', "Backend's aggregated gauge of servers' status"],
  haproxy_backend_agg_server_check_status: ['gauge', "Backend's aggregated gauge of servers' state check status"],
  haproxy_backend_agg_check_status: ['gauge', "Backend's aggregated gauge of servers' state check status"],
  haproxy_server_current_queue: ['gauge', 'Number of current queued connections'],
  haproxy_server_max_queue: ['gauge', 'Highest value of queued connections encountered since process started'],
  haproxy_server_current_sessions: ['gauge', 'Number of current sessions on the frontend, backend or server'],
  haproxy_server_max_sessions: ['gauge', 'Highest value of current sessions encountered since process started'],
  haproxy_server_limit_sessions: ['gauge', "Frontend/listener/server's maxconn, backend's fullconn"],
  haproxy_server_sessions_total: ['counter', 'Total number of sessions since process started'],
  haproxy_server_bytes_in_total: ['counter', 'Total number of request bytes since process started'],
  haproxy_server_bytes_out_total: ['counter', 'Total number of response bytes since process started'],
  haproxy_server_responses_denied_total: ['counter', 'Total number of denied responses since process started'],
  haproxy_server_connection_errors_total: [
    'counter',
    'Total number of failed connections to server since the worker process started',
  ],
  haproxy_server_response_errors_total: [
    'counter',
    'Total number of invalid responses since the worker process started',
  ],
  haproxy_server_retry_warnings_total: [
    'counter',
    'Total number of server connection retries since the worker process started',
  ],
  haproxy_server_redispatch_warnings_total: [
    'counter',
    'Total number of server redispatches due to connection failures since the worker process started',
  ],
  haproxy_server_status: ['gauge', 'Current status of the service, per state label value.'],
  haproxy_server_weight: [
    'gauge',
    "Server's effective weight, or sum of active servers' effective weights for a backend",
  ],
  haproxy_server_check_failures_total: [
    'counter',
    'Total number of failed individual health checks per server/backend, since the worker process started',
  ],
  haproxy_server_check_up_down_total: [
    'counter',
    'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started',
  ],
  haproxy_server_check_last_change_seconds: ['gauge', 'How long ago the last server state changed, in seconds'],
  haproxy_server_downtime_seconds_total: ['counter', 'Total time spent in DOWN state, for server or backend'],
  haproxy_server_queue_limit: [
    'gauge',
    'Limit on the number of connections in queue, for servers only (maxqueue argument)',
  ],
  haproxy_server_current_throttle: [
    'gauge',
    "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)",
  ],
  haproxy_server_loadbalanced_total: [
    'counter',
    'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)',
  ],
  haproxy_server_max_session_rate: [
    'gauge',
    'Highest value of sessions per second observed since the worker process started',
  ],
  haproxy_server_check_status: ['gauge', 'Status of last health check, per state label value.'],
  haproxy_server_check_code: ['gauge', 'layer5-7 code, if available of the last health check.'],
  haproxy_server_check_duration_seconds: ['gauge', 'Total duration of the latest server health check, in seconds.'],
  haproxy_server_http_responses_total: [
    'counter',
    'Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
  ],
  haproxy_server_client_aborts_total: [
    'counter',
    'Total number of requests or connections aborted by the client since the worker process started',
  ],
  haproxy_server_server_aborts_total: [
    'counter',
    'Total number of requests or connections aborted by the server since the worker process started',
  ],
  haproxy_server_last_session_seconds: [
    'gauge',
    'How long ago some traffic was seen on this object on this worker process, in seconds',
  ],
  haproxy_server_queue_time_average_seconds: ['gauge', 'Avg. queue time for last 1024 successful connections.'],
  haproxy_server_connect_time_average_seconds: ['gauge', 'Avg. connect time for last 1024 successful connections.'],
  haproxy_server_response_time_average_seconds: ['gauge', 'Avg. response time for last 1024 successful connections.'],
  haproxy_server_total_time_average_seconds: ['gauge', 'Avg. total time for last 1024 successful connections.'],
  haproxy_server_failed_header_rewriting_total: [
    'counter',
    'Total number of failed HTTP header rewrites since the worker process started',
  ],
  haproxy_server_connection_attempts_total: [
    'counter',
    'Total number of outgoing connection attempts on this backend/server since the worker process started',
  ],
  haproxy_server_connection_reuses_total: [
    'counter',
    'Total number of reused connection on this backend/server since the worker process started',
  ],
  haproxy_server_idle_connections_current: [
    'gauge',
    'Current number of idle connections available for reuse on this server',
  ],
  haproxy_server_idle_connections_limit: [
    'gauge',
    "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)",
  ],
  haproxy_server_max_queue_time_seconds: ['gauge', 'Maximum observed time spent in the queue'],
  haproxy_server_max_connect_time_seconds: [
    'gauge',
    'Maximum observed time spent waiting for a connection to complete',
  ],
  haproxy_server_max_response_time_seconds: ['gauge', 'Maximum observed time spent waiting for a server response'],
  haproxy_server_max_total_time_seconds: [
    'gauge',
    'Maximum observed total request+response time (request+queue+connect+response+processing)',
  ],
  haproxy_server_internal_errors_total: ['counter', 'Total number of internal errors since process started'],
  haproxy_server_unsafe_idle_connections_current: ['gauge', 'Current number of unsafe idle connections'],
  haproxy_server_safe_idle_connections_current: ['gauge', 'Current number of safe idle connections'],
  haproxy_server_used_connections_current: ['gauge', 'Current number of connections in use'],
  haproxy_server_need_connections_current: ['gauge', 'Estimated needed number of connections'],
  haproxy_server_uweight: ['gauge', "Server's user weight, or sum of active servers' user weights for a backend"],
};
