export type GatewayEnv = {
  Bindings: GatewayBindings;
  Variables: {
    requestId: string;
    /** The request is FluxPay's (`/pay/**`): forwarded to payment, answered in FluxPay's envelope. */
    payment: boolean;
  };
};
