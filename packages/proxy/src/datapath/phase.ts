/** Phase the request is in, for termination flags' second letter. */
export enum Phase {
  Request = 'R',
  Tarpit = 'T',
  Queue = 'Q',
  Connect = 'C',
  Headers = 'H',
  Data = 'D',
  Done = '-',
}
