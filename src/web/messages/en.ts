// English: the reference catalogue. Every other language has exactly these keys (the type
// `Messages` makes a missing or extra key a compile error). `{tenant}` and other `{names}` are
// filled in by the page.
export const en = {
  'page.title': 'Verification for {tenant}',
  'page.loading': 'Loading…',
  'page.noscript':
    'This page needs JavaScript to take or upload photos. Please turn JavaScript on and reload the page.',
  'page.secured_by': 'Verification by Loom',
  'page.language': 'Language',
  'page.cancel': 'Cancel verification',

  'intro.title.age': '{tenant} asks you to confirm your age',
  'intro.title.identity': '{tenant} asks you to confirm your identity',
  'intro.lead': 'It takes about two minutes. You will need:',
  'intro.step.document': 'A photo of your passport, ID card or driving licence',
  'intro.step.document_one': 'A photo of your {document}',
  'intro.step.document_any': 'A photo of one of these documents: {documents}',
  'intro.step.document_back': 'For an ID card or a licence, a photo of the back as well',
  'intro.step.selfie': 'A selfie, to check that the document is yours',
  'intro.step.selfie_estimate':
    'A selfie: your age is estimated from it. If that is not enough, a photo of your ID document',
  'intro.no_camera': 'No camera? You can upload photos instead.',
  'intro.privacy':
    'Your photos are sent and stored encrypted, used only for this check, and deleted when the retention period set by {tenant} ends.',
  'intro.consent.age': 'I agree that {tenant} checks my age with these photos.',
  'intro.consent.identity': 'I agree that {tenant} checks my identity with these photos.',
  'intro.controller': '{controller} is responsible for your data.',
  'intro.privacy_notice': 'Privacy notice',
  'intro.new_tab': '(opens in a new tab)',
  'intro.consent_required': 'Please tick the box to agree before you start.',
  'intro.face_consent.face_match':
    'I agree that {tenant} uses biometric technology to compare my face in the selfie with the photo on my document. No face template is kept: the selfie is stored encrypted and deleted with my other photos when the retention period ends.',
  'intro.face_consent.age_estimation':
    'I agree that {tenant} uses biometric technology to estimate my age from my face in the selfie. No face template is kept: the selfie is stored encrypted and deleted with my other photos when the retention period ends.',
  'intro.face_consent_required':
    'This verification needs a face check. Please tick this box as well to agree before you start.',
  'intro.start': 'Start',

  'choose.title': 'Which document will you use?',
  'choose.hint':
    'Choose the one you have with you. For a passport only the photo page is needed; for a card or licence, both sides.',
  'document.passport': 'passport',
  'document.id_card': 'ID card',
  'document.drivers_license': 'driving licence',
  'document.residence_permit': 'residence permit',
  'document.visa': 'visa',
  'document.travel_document': 'travel document',

  'step.progress': 'Step {n} of {total}',
  'capture.document_front.title': 'Photo of your document',
  'capture.document_front.hint':
    'Passport: the page with your photo and the two lines of letters and <<< at the bottom. ID card or licence: the front.',
  'capture.document_back.title': 'The back of your document',
  'capture.document_back.hint':
    'Turn the card over. The lines of letters or the barcode must be sharp and fully visible.',
  'capture.selfie.title': 'Take a selfie',
  'capture.selfie.hint':
    'Look straight at the camera in good light, with nothing covering your face. Only you should be in the picture.',
  'capture.tips': 'Put it on a flat, dark surface in good light, avoid glare, and fill the frame.',
  'capture.use_camera': 'Take a photo',
  'capture.upload': 'Upload a photo',
  'capture.upload_hint': 'JPEG, PNG, WebP or PDF, up to 10 MB.',
  'capture.front.passport.title': 'The photo page of your passport',
  'capture.front.passport.hint':
    'Open your passport at the page with your photo. The two lines of letters and <<< at the bottom of that page must be sharp and fully visible.',
  'capture.front.visa.title': 'Photo of your visa',
  'capture.front.visa.hint':
    'The whole visa, with the two lines of letters and <<< at its bottom sharp and fully visible.',
  'capture.front.id_card.title': 'The front of your ID card',
  'capture.front.drivers_license.title': 'The front of your driving licence',
  'capture.front.residence_permit.title': 'The front of your residence permit',
  'capture.front.card.hint':
    'The side with your photo. The whole card must be in the picture, sharp and without glare.',
  'capture.back.id_card.title': 'The back of your ID card',
  'capture.back.drivers_license.title': 'The back of your driving licence',
  'capture.back.residence_permit.title': 'The back of your residence permit',
  'capture.back.mrz.hint':
    'Turn the card over. The three lines of letters and <<< must be sharp and fully visible.',
  'capture.back.barcode.hint':
    'Turn the licence over. The wide barcode must be sharp, fully visible and without glare.',
  'capture.change_document': 'Change document',
  'flow.step_done': 'This step is done.',
  'capture.handoff': 'Continue on your phone',
  'handoff.title': 'Continue on your phone',
  'handoff.scan': 'Scan this code with your phone’s camera, or open this link on your phone:',
  'handoff.qr_alt': 'QR code that opens this verification on your phone',
  'handoff.link_label': 'Link for your phone',
  'handoff.copy': 'Copy link',
  'handoff.copied': 'Link copied.',
  'handoff.copy_failed': 'The link could not be copied. Select it and copy it yourself.',
  'handoff.waiting':
    'Keep this page open: it continues by itself once your phone has sent the photos.',
  'handoff.received.document_front': 'Front received',
  'handoff.received.document_back': 'Back received',
  'handoff.received.selfie': 'Selfie received',
  'handoff.use_this_device': 'Use this device instead',
  'handoff.phone_done': 'You can return to your computer.',

  'camera.title.document': 'Fit your document in the frame',
  'camera.title.selfie': 'Fit your face in the oval',
  'camera.starting': 'Starting the camera…',
  'camera.ready': 'Camera ready. Press “Take photo” when the picture is sharp.',
  'camera.video_label': 'Camera preview',
  'camera.shoot': 'Take photo',
  'camera.back': 'Back',
  'camera.denied':
    'The camera could not be used. Allow camera access in your browser settings, or upload a photo instead.',
  'camera.unavailable': 'No camera was found. Please upload a photo instead.',

  'guide.edges': 'Place the whole document inside the outline.',
  'guide.too_far': 'Move closer: the document should fill the outline.',
  'guide.too_close': 'Move back a little so the whole document fits.',
  'guide.glare': 'Tilt the document away from the light to avoid glare.',
  'guide.blurry': 'Hold still: the picture is blurry.',
  'guide.dark': 'Find more light.',
  'guide.good': 'Hold still…',

  'review.title': 'Check your photo',
  'review.alt': 'The photo you just took',
  'review.document': 'Is every detail readable, with no glare or blur?',
  'review.selfie': 'Is your whole face visible and sharp?',
  'review.use': 'Use this photo',
  'review.retake': 'Retake',

  'check.title': 'Checking your photo…',
  'check.preview_alt': 'The photo you chose',
  'feedback.title': 'Let’s try that again',
  'feedback.accepted_title': 'We will check this photo as it is',
  'feedback.retake': 'Retake photo',
  'feedback.upload_instead': 'Upload a photo instead',
  'feedback.take_instead': 'Take a photo instead',
  'feedback.accepted_anyway': 'We will check this photo as it is.',
  'feedback.continue': 'Continue',
  'feedback.ok': 'Photo accepted.',
  'feedback.blurry': 'The photo is blurry. Hold the phone still and let the camera focus.',
  'feedback.glare': 'Glare hides part of the document. Tilt it away from the light.',
  'feedback.too_dark': 'The photo is too dark. Move to a brighter place.',
  'feedback.too_small':
    'The document is too small in the photo. Move closer so it fills the frame.',
  'feedback.no_document':
    'No document was found. Show the page with the lines of letters, or the barcode.',
  'feedback.mrz_unreadable':
    'The lines of letters could not be read. Make sure they are sharp and fully visible.',
  'feedback.barcode_unreadable':
    'The barcode could not be read. Fill the frame with it and avoid glare.',
  'feedback.try_again': 'The photo could not be checked in time. Please try again.',
  'feedback.no_face':
    'No face was found. Look straight at the camera with your whole face visible.',
  'feedback.multiple_faces':
    'More than one face is in the photo. Only you should be in the selfie.',
  'feedback.face_too_small': 'Your face is too small in the photo. Hold the phone closer.',
  'feedback.face_cut_off': 'Your face is cut off at the edge. Centre it in the frame.',

  'error.invalid_file':
    'This file could not be opened. Choose a photo (JPEG, PNG or WebP) or a PDF. iPhone HEIC photos: take the photo here instead.',
  'error.too_large': 'This file is larger than 10 MB. Choose a smaller photo.',
  'error.network': 'There is a connection problem. Check your connection and try again.',
  'error.rate_limited': 'Too many attempts in a short time. Wait a minute, then try again.',
  'error.unexpected': 'Something went wrong on our side. Please try again.',
  'error.try_again': 'Try again',

  'processing.title': 'Checking your document',
  'processing.title.face': 'Comparing your selfie with your document',
  'processing.title.selfie': 'Checking your selfie',
  'processing.body': 'This usually takes a few seconds. Please keep this page open.',
  'processing.slow': 'This is taking longer than usual. Please keep this page open.',

  'cancel.title': 'Cancel the verification?',
  'cancel.body':
    '{tenant} will be told that you stopped. This link will no longer work afterwards.',
  'cancel.confirm': 'Yes, cancel',
  'cancel.keep': 'No, continue',

  'outcome.approved.title': 'You are verified',
  'outcome.approved.body': 'Thank you. {tenant} has received the result.',
  'outcome.review.title': 'Thank you',
  'outcome.review.body':
    'Your verification was submitted and needs a closer look. {tenant} will let you know.',
  'outcome.rejected.title': 'We could not verify you',
  'outcome.rejected.body': 'The document does not meet the requirements of {tenant}.',
  'outcome.rejected.document_unreadable': 'Your document could not be read.',
  'outcome.rejected.face_mismatch': 'Your selfie did not match the photo on your document.',
  'outcome.rejected.document_expired':
    'Your document has expired. {tenant} needs a document that is still valid.',
  'outcome.attempts_used': 'You have used all {max} attempts.',
  'retry.title': 'Let’s try again',
  'retry.document_unreadable':
    'Your document could not be read. Please take new photos of it, sharp and in good light.',
  'retry.face_mismatch':
    'Your selfie did not match the photo on your document. Please take another one: face the camera in good light, without glasses or a hat.',
  'retry.document_expired':
    'This document has expired. Please use another document that is still valid.',
  'retry.attempt': 'Attempt {n} of {total}',
  'outcome.abandoned.title': 'Verification cancelled',
  'outcome.abandoned.body': 'You stopped the verification. {tenant} has been told.',
  'outcome.expired.title': 'This link has expired',
  'outcome.expired.body':
    'For your security, verification links work only for a limited time. Please ask {tenant} for a new link.',
  'outcome.failed.title': 'Something went wrong',
  'outcome.failed.body':
    'The verification could not be completed. Please ask {tenant} for a new link.',
  'outcome.continue': 'Continue to {tenant}',
  'outcome.close': 'You can close this page now.',
  'outcome.redirecting': 'Taking you back to {tenant}…',

  'link.invalid.title': 'This link does not work',
  'link.invalid.body':
    'Check that you opened the whole link from your email or message, or ask for a new one.',
  'link.busy.title': 'Too many attempts',
  'link.busy.body': 'Please wait a few minutes, then open the link again.',
  'link.someone': 'the service that sent you here',
} as const

export type MessageKey = keyof typeof en
export type Messages = Record<MessageKey, string>
