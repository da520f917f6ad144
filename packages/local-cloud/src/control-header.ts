/** The header that carries local-cloud's control token. Imports nothing, so worker tests can use it too. */
export const CONTROL_TOKEN_HEADER = 'x-local-cloud-control-token';
