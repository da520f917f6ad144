// swagger-ui-dist's files imported as text (`with { type: 'text' }`; wrangler's Text rule for them).
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string;
  export default text;
}
