/** Frames a client might send that must each be refused with a 400 and touch nothing. */
export interface BadFrame {
  name: string
  body: string
  /** What the error message must say. */
  expect: RegExp
  /** The `action` the error frame names, when the frame got that far. */
  action?: string
}

const subscribe = (fields: Record<string, unknown>) =>
  JSON.stringify({ action: 'subscribe', roomName: 'general', userName: 'ada', ...fields })
const send = (fields: Record<string, unknown>) =>
  JSON.stringify({ action: 'sendMessage', roomName: 'general', message: 'hi', ...fields })

export const badFrames: BadFrame[] = [
  { name: 'invalid JSON', body: '{"action":"subscribe",', expect: /not valid JSON/ },
  { name: 'plain text', body: 'hello there', expect: /not valid JSON/ },
  { name: 'empty frame', body: '', expect: /empty frame/ },
  { name: 'a JSON string', body: '"subscribe"', expect: /must be a JSON object.*not a string/ },
  { name: 'a JSON array', body: '[{"action":"listRooms"}]', expect: /must be a JSON object.*not an array/ },
  { name: 'JSON null', body: 'null', expect: /must be a JSON object.*not null/ },
  { name: 'a JSON number', body: '42', expect: /must be a JSON object.*not a number/ },
  { name: 'missing action', body: '{"roomName":"general"}', expect: /"action" is required/ },
  {
    name: 'unknown action',
    body: '{"action":"shout","roomName":"general"}',
    expect: /unknown action: expected one of/,
  },
  { name: 'action in the wrong case', body: '{"action":"ListRooms"}', expect: /unknown action/ },
  { name: 'action not a string', body: '{"action":7}', expect: /"action" must be a string, not a number/ },
  {
    name: 'subscribe without userName',
    body: '{"action":"subscribe","roomName":"general"}',
    expect: /"userName" is required/,
    action: 'subscribe',
  },
  {
    name: 'roomName a number',
    body: subscribe({ roomName: 42 }),
    expect: /"roomName" must be a string, not a number/,
    action: 'subscribe',
  },
  {
    name: 'userName null',
    body: subscribe({ userName: null }),
    expect: /"userName" must be a string, not null/,
    action: 'subscribe',
  },
  {
    name: 'empty roomName',
    body: subscribe({ roomName: '' }),
    expect: /roomName must not be empty/,
    action: 'subscribe',
  },
  {
    name: '| in roomName',
    body: subscribe({ roomName: 'a|b' }),
    expect: /roomName must not contain "\|"/,
    action: 'subscribe',
  },
  {
    name: '| in userName',
    body: subscribe({ userName: 'ada|admin' }),
    expect: /userName must not contain "\|"/,
    action: 'subscribe',
  },
  {
    name: 'bell in roomName',
    body: subscribe({ roomName: 'gen\u0007eral' }),
    expect: /roomName must not contain control/,
    action: 'subscribe',
  },
  {
    name: 'newline in userName',
    body: subscribe({ userName: 'ada\nbob' }),
    expect: /userName must not contain control/,
    action: 'subscribe',
  },
  {
    name: 'roomName of 101 characters',
    body: subscribe({ roomName: 'r'.repeat(101) }),
    expect: /roomName must be at most 100 characters \(got 101\)/,
    action: 'subscribe',
  },
  {
    name: 'userName of 51 characters',
    body: subscribe({ userName: 'é'.repeat(51) }),
    expect: /userName must be at most 50 characters \(got 51\)/,
    action: 'subscribe',
  },
  {
    name: 'unpaired surrogate in roomName',
    body: '{"action":"subscribe","roomName":"\\ud800x","userName":"ada"}',
    expect: /unpaired surrogate/,
    action: 'subscribe',
  },
  {
    name: 'extra key',
    body: subscribe({ admin: true }),
    expect: /unexpected key "admin": "subscribe" takes action, roomName, userName/,
    action: 'subscribe',
  },
  {
    name: 'listRooms with a key',
    body: '{"action":"listRooms","roomName":"general"}',
    expect: /unexpected key "roomName"/,
    action: 'listRooms',
  },
  ...(
    [
      ['listRooms limit 0', { limit: 0 }, /"limit" must be a whole number from 1 to 1000/],
      ['listRooms limit 1001', { limit: 1001 }, /"limit" must be a whole number from 1 to 1000/],
      ['listRooms limit a fraction', { limit: 2.5 }, /"limit" must be a whole number from 1 to 1000/],
      ['listRooms limit a string', { limit: '7' }, /"limit" must be a number, not a string/],
      ['listRooms cursor a number', { cursor: 7 }, /"cursor" must be a string, not a number/],
      ['listRooms cursor empty', { cursor: '' }, /"cursor" must not be empty/],
      [
        'listRooms cursor too long',
        { cursor: 'A'.repeat(16_385) },
        /"cursor" is longer than 16384 characters/,
      ],
    ] as const
  ).map(([name, fields, expect]) => ({
    name,
    body: JSON.stringify({ action: 'listRooms', ...fields }),
    expect,
    action: 'listRooms',
  })),
  {
    name: 'unsubscribe roomName an object',
    body: '{"action":"unsubscribe","roomName":{"S":"general"}}',
    expect: /"roomName" must be a string, not an object/,
    action: 'unsubscribe',
  },
  {
    name: 'message of 4097 characters',
    body: send({ message: 'm'.repeat(4097) }),
    expect: /message must be at most 4096 characters/,
    action: 'sendMessage',
  },
  {
    name: 'empty message',
    body: send({ message: '' }),
    expect: /message must not be empty/,
    action: 'sendMessage',
  },
  {
    name: 'NUL in message',
    body: send({ message: 'a\u0000b' }),
    expect: /message must not contain control characters other than tab/,
    action: 'sendMessage',
  },
  {
    name: 'message of spaces and line breaks only',
    body: send({ message: ' \t\n\r\u00a0\u3000 ' }),
    expect: /message must not be only whitespace/,
    action: 'sendMessage',
  },
  {
    name: 'U+FFFF in message (SQS refuses it)',
    body: send({ message: 'hi \uffff' }),
    expect: /message must not contain U\+FFFF/,
    action: 'sendMessage',
  },
  {
    name: 'U+FFFE in roomName (SQS refuses it)',
    body: subscribe({ roomName: 'gen\ufffeeral' }),
    expect: /roomName must not contain U\+FFFE/,
    action: 'subscribe',
  },
  {
    name: 'U+FFFF in userName (SQS refuses it)',
    body: subscribe({ userName: 'ada\uffff' }),
    expect: /userName must not contain U\+FFFF/,
    action: 'subscribe',
  },
  {
    name: 'message not a string',
    body: send({ message: ['hi'] }),
    expect: /"message" must be a string, not an array/,
    action: 'sendMessage',
  },
  {
    name: 'sendMessage without roomName',
    body: '{"action":"sendMessage","message":"hi"}',
    expect: /"roomName" is required/,
    action: 'sendMessage',
  },
  {
    name: 'oversized frame',
    body: send({ message: 'x'.repeat(70_000) }),
    expect: /frame is \d+ bytes; the limit is 65536/,
  },
]
