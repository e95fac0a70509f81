// A real SMTP server on a loopback port for the notification tests (npm smtp-server, mailparser).
//
//   node smtp.mjs '{"failFirst": 2}'
//
// Prints "LISTENING <port>" once it listens, then one "MAIL <json>" line per message accepted:
// {from, to, subject, text, messageId}. The first failFirst recipients are refused with a
// temporary 451 reply, as a busy server does. Ends when its standard input closes.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const options = JSON.parse(process.argv[2] || '{}');
let failuresLeft = options.failFirst || 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onRcptTo(address, session, callback) {
    if (failuresLeft > 0) {
      failuresLeft--;
      const error = new Error('Try again later');
      error.responseCode = 451;
      console.log(`REFUSED ${address.address}`);
      return callback(error);
    }
    return callback();
  },
  onData(stream, session, callback) {
    simpleParser(stream).then((mail) => {
      console.log('MAIL ' + JSON.stringify({
        from: mail.from?.text,
        to: mail.to?.text,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
      }));
      callback();
    }, callback);
  },
});

server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.server.address().port}`));
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
