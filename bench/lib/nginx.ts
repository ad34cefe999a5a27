/** The head of the nginx configurations the bench starts (one worker, foreground, files in `dir`). */
export function nginxHead(dir: string, name: string): string {
  return `worker_processes 1;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err warn;
daemon off;
worker_rlimit_nofile 20000;
events { worker_connections 19000; }
`;
}
