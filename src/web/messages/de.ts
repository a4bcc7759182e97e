// Deutsch. Dieselben Schlüssel wie der englische Katalog (en.ts), vom Compiler geprüft.
import type { Messages } from './en.ts'

export const de: Messages = {
  'page.title': 'Verifizierung für {tenant}',
  'page.loading': 'Wird geladen…',
  'page.noscript':
    'Diese Seite braucht JavaScript, um Fotos aufzunehmen oder hochzuladen. Bitte aktivieren Sie JavaScript und laden Sie die Seite neu.',
  'page.secured_by': 'Verifizierung durch Loom',
  'page.language': 'Sprache',
  'page.cancel': 'Verifizierung abbrechen',

  'intro.title.age': '{tenant} bittet Sie, Ihr Alter zu bestätigen',
  'intro.title.identity': '{tenant} bittet Sie, Ihre Identität zu bestätigen',
  'intro.lead': 'Das dauert etwa zwei Minuten. Sie brauchen:',
  'intro.step.document': 'Ein Foto Ihres Reisepasses, Personalausweises oder Führerscheins',
  'intro.step.document_one': 'Ein Foto Ihres Dokuments ({document})',
  'intro.step.document_any': 'Ein Foto eines dieser Dokumente: {documents}',
  'intro.step.document_back': 'Bei einer Karte oder einem Führerschein auch ein Foto der Rückseite',
  'intro.step.selfie': 'Ein Selfie, um zu prüfen, dass das Dokument Ihnen gehört',
  'intro.step.selfie_estimate':
    'Ein Selfie: Ihr Alter wird daraus geschätzt. Reicht das nicht aus, ein Foto Ihres Ausweises',
  'intro.no_camera': 'Keine Kamera? Sie können stattdessen Fotos hochladen.',
  'intro.privacy':
    'Ihre Fotos werden verschlüsselt übertragen und gespeichert, nur für diese Verifizierung verwendet und nach der von {tenant} festgelegten Aufbewahrungsfrist gelöscht.',
  'intro.consent.age': 'Ich bin einverstanden, dass {tenant} mein Alter anhand dieser Fotos prüft.',
  'intro.consent.identity':
    'Ich bin einverstanden, dass {tenant} meine Identität anhand dieser Fotos prüft.',
  'intro.controller': '{controller} ist für Ihre Daten verantwortlich.',
  'intro.privacy_notice': 'Datenschutzhinweise',
  'intro.new_tab': '(öffnet in einem neuen Tab)',
  'intro.consent_required': 'Setzen Sie das Häkchen, um vor dem Start zuzustimmen.',
  'intro.face_consent.face_match':
    'Ich bin einverstanden, dass {tenant} mein Gesicht auf dem Selfie mit biometrischer Technik mit dem Foto auf meinem Dokument vergleicht. Es wird kein Gesichtsmodell gespeichert: Das Selfie wird verschlüsselt gespeichert und mit meinen anderen Fotos gelöscht, wenn die Aufbewahrungsfrist endet.',
  'intro.face_consent.age_estimation':
    'Ich bin einverstanden, dass {tenant} mein Alter mit biometrischer Technik anhand meines Gesichts auf dem Selfie schätzt. Es wird kein Gesichtsmodell gespeichert: Das Selfie wird verschlüsselt gespeichert und mit meinen anderen Fotos gelöscht, wenn die Aufbewahrungsfrist endet.',
  'intro.face_consent_required':
    'Für diese Verifizierung ist eine Gesichtsprüfung nötig. Setzen Sie auch dieses Häkchen, um vor dem Start zuzustimmen.',
  'intro.start': 'Starten',

  'choose.title': 'Welches Dokument möchten Sie verwenden?',
  'choose.hint':
    'Wählen Sie eines, das Sie dabeihaben. Beim Reisepass wird nur die Seite mit dem Foto gebraucht, bei einer Karte oder einem Führerschein beide Seiten.',
  'document.passport': 'Reisepass',
  'document.id_card': 'Personalausweis',
  'document.drivers_license': 'Führerschein',
  'document.residence_permit': 'Aufenthaltstitel',
  'document.visa': 'Visum',
  'document.travel_document': 'Reisedokument',

  'step.progress': 'Schritt {n} von {total}',
  'capture.document_front.title': 'Foto Ihres Dokuments',
  'capture.document_front.hint':
    'Reisepass: die Seite mit Ihrem Foto und den zwei Zeilen aus Buchstaben und <<< unten. Karte oder Führerschein: die Vorderseite.',
  'capture.document_back.title': 'Die Rückseite Ihres Dokuments',
  'capture.document_back.hint':
    'Drehen Sie die Karte um. Die Buchstabenzeilen oder der Strichcode müssen scharf und ganz zu sehen sein.',
  'capture.selfie.title': 'Machen Sie ein Selfie',
  'capture.selfie.hint':
    'Schauen Sie direkt in die Kamera, an einem hellen Ort, nichts vor dem Gesicht. Nur Sie sollten auf dem Foto sein.',
  'capture.tips':
    'Legen Sie es flach auf eine dunkle Fläche, gut beleuchtet und ohne Spiegelung, und füllen Sie den Rahmen aus.',
  'capture.use_camera': 'Foto aufnehmen',
  'capture.upload': 'Foto hochladen',
  'capture.upload_hint': 'JPEG, PNG, WebP oder PDF, höchstens 10 MB.',
  'capture.front.passport.title': 'Die Bildseite Ihres Reisepasses',
  'capture.front.passport.hint':
    'Schlagen Sie den Pass auf der Seite mit Ihrem Foto auf. Die zwei Buchstabenzeilen mit <<< unten auf dieser Seite müssen scharf und ganz zu sehen sein.',
  'capture.front.visa.title': 'Foto Ihres Visums',
  'capture.front.visa.hint':
    'Das ganze Visum, die zwei Buchstabenzeilen mit <<< unten scharf und ganz zu sehen.',
  'capture.front.id_card.title': 'Die Vorderseite Ihres Personalausweises',
  'capture.front.drivers_license.title': 'Die Vorderseite Ihres Führerscheins',
  'capture.front.residence_permit.title': 'Die Vorderseite Ihres Aufenthaltstitels',
  'capture.front.card.hint':
    'Die Seite mit Ihrem Foto. Die ganze Karte muss auf dem Bild sein, scharf und ohne Spiegelung.',
  'capture.back.id_card.title': 'Die Rückseite Ihres Personalausweises',
  'capture.back.drivers_license.title': 'Die Rückseite Ihres Führerscheins',
  'capture.back.residence_permit.title': 'Die Rückseite Ihres Aufenthaltstitels',
  'capture.back.mrz.hint':
    'Drehen Sie die Karte um. Die drei Buchstabenzeilen mit <<< müssen scharf und ganz zu sehen sein.',
  'capture.back.barcode.hint':
    'Drehen Sie den Führerschein um. Der breite Strichcode muss scharf, ganz zu sehen und ohne Spiegelung sein.',
  'capture.change_document': 'Anderes Dokument wählen',
  'flow.step_done': 'Dieser Schritt ist erledigt.',
  'capture.handoff': 'Auf dem Smartphone fortfahren',
  'handoff.title': 'Auf dem Smartphone fortfahren',
  'handoff.scan':
    'Scannen Sie diesen Code mit der Kamera Ihres Smartphones oder öffnen Sie diesen Link auf Ihrem Smartphone:',
  'handoff.qr_alt': 'QR-Code, der diese Verifizierung auf Ihrem Smartphone öffnet',
  'handoff.link_label': 'Link für Ihr Smartphone',
  'handoff.copy': 'Link kopieren',
  'handoff.copied': 'Link kopiert.',
  'handoff.copy_failed':
    'Der Link konnte nicht kopiert werden. Markieren Sie ihn und kopieren Sie ihn selbst.',
  'handoff.waiting':
    'Lassen Sie diese Seite geöffnet: Sie geht von selbst weiter, sobald Ihr Smartphone die Fotos gesendet hat.',
  'handoff.received.document_front': 'Vorderseite erhalten',
  'handoff.received.document_back': 'Rückseite erhalten',
  'handoff.received.selfie': 'Selfie erhalten',
  'handoff.use_this_device': 'Stattdessen dieses Gerät verwenden',
  'handoff.phone_done': 'Sie können zu Ihrem Computer zurückkehren.',

  'camera.title.document': 'Halten Sie Ihr Dokument in den Rahmen',
  'camera.title.selfie': 'Halten Sie Ihr Gesicht in das Oval',
  'camera.starting': 'Kamera wird gestartet…',
  'camera.ready': 'Kamera bereit. Tippen Sie auf „Foto aufnehmen“, wenn das Bild scharf ist.',
  'camera.video_label': 'Kameravorschau',
  'camera.shoot': 'Foto aufnehmen',
  'camera.back': 'Zurück',
  'camera.denied':
    'Die Kamera konnte nicht verwendet werden. Erlauben Sie den Kamerazugriff in den Browsereinstellungen oder laden Sie ein Foto hoch.',
  'camera.unavailable': 'Keine Kamera gefunden. Laden Sie stattdessen ein Foto hoch.',

  'guide.edges': 'Legen Sie das ganze Dokument in den Rahmen.',
  'guide.too_far': 'Gehen Sie näher heran: Das Dokument soll den Rahmen füllen.',
  'guide.too_close': 'Gehen Sie etwas zurück, damit das ganze Dokument hineinpasst.',
  'guide.glare': 'Neigen Sie das Dokument, um Spiegelungen zu vermeiden.',
  'guide.blurry': 'Halten Sie still: Das Bild ist unscharf.',
  'guide.dark': 'Suchen Sie mehr Licht.',
  'guide.good': 'Stillhalten …',

  'review.title': 'Prüfen Sie Ihr Foto',
  'review.alt': 'Das Foto, das Sie gerade aufgenommen haben',
  'review.document': 'Sind alle Angaben lesbar, ohne Spiegelung oder Unschärfe?',
  'review.selfie': 'Ist Ihr ganzes Gesicht sichtbar und scharf?',
  'review.use': 'Dieses Foto verwenden',
  'review.retake': 'Neu aufnehmen',

  'check.title': 'Ihr Foto wird geprüft…',
  'check.preview_alt': 'Das gewählte Foto',
  'feedback.title': 'Versuchen wir es noch einmal',
  'feedback.accepted_title': 'Wir prüfen dieses Foto so, wie es ist',
  'feedback.retake': 'Foto neu aufnehmen',
  'feedback.upload_instead': 'Stattdessen ein Foto hochladen',
  'feedback.take_instead': 'Stattdessen ein Foto aufnehmen',
  'feedback.accepted_anyway': 'Wir prüfen dieses Foto so, wie es ist.',
  'feedback.continue': 'Weiter',
  'feedback.ok': 'Foto angenommen.',
  'feedback.blurry':
    'Das Foto ist unscharf. Halten Sie das Telefon ruhig und lassen Sie die Kamera scharfstellen.',
  'feedback.glare':
    'Eine Spiegelung verdeckt einen Teil des Dokuments. Kippen Sie es etwas vom Licht weg.',
  'feedback.too_dark': 'Das Foto ist zu dunkel. Gehen Sie an einen helleren Ort.',
  'feedback.too_small':
    'Das Dokument ist auf dem Foto zu klein. Gehen Sie näher heran, bis es den Rahmen ausfüllt.',
  'feedback.no_document':
    'Kein Dokument gefunden. Zeigen Sie die Seite mit den Buchstabenzeilen oder den Strichcode.',
  'feedback.mrz_unreadable':
    'Die Buchstabenzeilen konnten nicht gelesen werden. Sie müssen scharf und ganz zu sehen sein.',
  'feedback.barcode_unreadable':
    'Der Strichcode konnte nicht gelesen werden. Füllen Sie den Rahmen damit aus und vermeiden Sie Spiegelungen.',
  'feedback.try_again':
    'Das Foto konnte nicht rechtzeitig geprüft werden. Bitte versuchen Sie es noch einmal.',
  'feedback.no_face':
    'Kein Gesicht gefunden. Schauen Sie in die Kamera, das Gesicht ganz zu sehen.',
  'feedback.multiple_faces':
    'Auf dem Foto ist mehr als ein Gesicht. Nur Sie sollten auf dem Selfie sein.',
  'feedback.face_too_small': 'Ihr Gesicht ist auf dem Foto zu klein. Halten Sie das Telefon näher.',
  'feedback.face_cut_off': 'Ihr Gesicht ist am Rand abgeschnitten. Halten Sie es in die Mitte.',

  'error.invalid_file':
    'Diese Datei konnte nicht geöffnet werden. Wählen Sie ein Foto (JPEG, PNG oder WebP) oder ein PDF. HEIC-Fotos vom iPhone: nehmen Sie das Foto besser hier auf.',
  'error.too_large': 'Diese Datei ist größer als 10 MB. Wählen Sie ein kleineres Foto.',
  'error.network': 'Verbindungsproblem. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  'error.rate_limited':
    'Zu viele Versuche in kurzer Zeit. Warten Sie eine Minute und versuchen Sie es dann erneut.',
  'error.unexpected': 'Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es noch einmal.',
  'error.try_again': 'Erneut versuchen',

  'processing.title': 'Ihr Dokument wird geprüft',
  'processing.title.face': 'Ihr Selfie wird mit Ihrem Dokument verglichen',
  'processing.title.selfie': 'Ihr Selfie wird geprüft',
  'processing.body': 'Das dauert meist nur wenige Sekunden. Lassen Sie diese Seite geöffnet.',
  'processing.slow': 'Das dauert länger als üblich. Lassen Sie diese Seite geöffnet.',

  'cancel.title': 'Verifizierung abbrechen?',
  'cancel.body':
    '{tenant} erfährt, dass Sie abgebrochen haben. Dieser Link funktioniert danach nicht mehr.',
  'cancel.confirm': 'Ja, abbrechen',
  'cancel.keep': 'Nein, weitermachen',

  'outcome.approved.title': 'Sie sind verifiziert',
  'outcome.approved.body': 'Vielen Dank. {tenant} hat das Ergebnis erhalten.',
  'outcome.review.title': 'Vielen Dank',
  'outcome.review.body':
    'Ihre Verifizierung wurde übermittelt und wird noch genauer geprüft. {tenant} meldet sich bei Ihnen.',
  'outcome.rejected.title': 'Wir konnten Sie nicht verifizieren',
  'outcome.rejected.body': 'Das Dokument erfüllt die Anforderungen von {tenant} nicht.',
  'outcome.rejected.document_unreadable': 'Ihr Dokument konnte nicht gelesen werden.',
  'outcome.rejected.face_mismatch': 'Ihr Selfie passt nicht zum Foto in Ihrem Dokument.',
  'outcome.rejected.document_expired':
    'Ihr Dokument ist abgelaufen. {tenant} braucht ein noch gültiges Dokument.',
  'outcome.attempts_used': 'Sie haben alle {max} Versuche verbraucht.',
  'retry.title': 'Versuchen wir es noch einmal',
  'retry.document_unreadable':
    'Ihr Dokument konnte nicht gelesen werden. Fotografieren Sie es erneut, scharf und gut beleuchtet.',
  'retry.face_mismatch':
    'Ihr Selfie passt nicht zum Foto in Ihrem Dokument. Machen Sie ein neues: direkt in die Kamera, gut beleuchtet, ohne Brille oder Hut.',
  'retry.document_expired':
    'Dieses Dokument ist abgelaufen. Verwenden Sie ein anderes, noch gültiges Dokument.',
  'retry.attempt': 'Versuch {n} von {total}',
  'outcome.abandoned.title': 'Verifizierung abgebrochen',
  'outcome.abandoned.body': 'Sie haben die Verifizierung beendet. {tenant} wurde informiert.',
  'outcome.expired.title': 'Dieser Link ist abgelaufen',
  'outcome.expired.body':
    'Zu Ihrer Sicherheit funktionieren Verifizierungslinks nur für begrenzte Zeit. Bitten Sie {tenant} um einen neuen Link.',
  'outcome.failed.title': 'Etwas ist schiefgegangen',
  'outcome.failed.body':
    'Die Verifizierung konnte nicht abgeschlossen werden. Bitten Sie {tenant} um einen neuen Link.',
  'outcome.continue': 'Zurück zu {tenant}',
  'outcome.close': 'Sie können diese Seite jetzt schließen.',
  'outcome.redirecting': 'Zurück zu {tenant}…',

  'link.invalid.title': 'Dieser Link funktioniert nicht',
  'link.invalid.body':
    'Prüfen Sie, ob Sie den vollständigen Link aus der E-Mail oder Nachricht geöffnet haben, oder fordern Sie einen neuen an.',
  'link.busy.title': 'Zu viele Versuche',
  'link.busy.body': 'Warten Sie einige Minuten und öffnen Sie den Link dann erneut.',
  'link.someone': 'den Dienst, der Sie hierher geschickt hat',
}
