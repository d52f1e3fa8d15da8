/** Types for cluster-key-slot (it ships none): Redis Cluster's hash slot of a key, hash tags included. */
declare module 'cluster-key-slot' {
  function generate(key: string | Buffer): number;
  export default generate;
}
