declare module '*.ttf' {
  const data: ArrayBuffer;
  export default data;
}
