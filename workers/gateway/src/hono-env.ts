export type GatewayEnv = { Bindings: GatewayBindings; Variables: { requestId: string } };
