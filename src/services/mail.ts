// Email through the SMTP server the operator configured (LOOM_SMTP_*), for applicant invitations
// and console invitations alike. One nodemailer transport per configuration, reused.
import nodemailer from 'nodemailer'
import type { Transporter } from 'nodemailer'
import type { SmtpConfig } from '../config.ts'

const transports = new WeakMap<SmtpConfig, Transporter>()

function transportFor(smtp: SmtpConfig, timeoutMs: number): Transporter {
  let transport = transports.get(smtp)
  if (transport === undefined) {
    transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user !== null && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    })
    transports.set(smtp, transport)
  }
  return transport
}

export interface MailMessage {
  to: { name?: string; address: string }
  subject: string
  text: string
  html?: string
}

/** Sends one message from the configured sender; rejects with the server's or the network's error. */
export async function sendMail(
  smtp: SmtpConfig,
  message: MailMessage,
  timeoutMs: number,
): Promise<void> {
  await transportFor(smtp, timeoutMs).sendMail({
    from: smtp.from,
    to:
      message.to.name === undefined ? message.to.address : { ...message.to, name: message.to.name },
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined && { html: message.html }),
  })
}
